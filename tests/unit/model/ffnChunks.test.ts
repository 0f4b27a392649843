import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { batchLogprobs, createRandomModel, loadEngineModel, lossAndGrad, makeBatch, saveModelGguf } from '../../../src/engine/model/index.js';

// A forward without backward computes the FFN in chunks of rows (smaller buffers); it must give the same log-probs
// as the full-batch FFN that lossAndGrad and captureFfn use (and its attention output overwrites q, GQA here).
// N = 290 rows crosses several chunks and a sequence end.
let dir = '';
const files: Record<string, string> = {};
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  for (const arch of ['llama', 'phi3'] as const) {
    const m = createRandomModel({ architecture: arch, nVocab: 40, nEmbd: 256, nLayer: 2, nHead: 4, nHeadKv: 2, nFf: 256, initStd: 0.1, seed: 5 });
    files[arch] = path.join(dir, `${arch}.gguf`);
    await saveModelGguf(m, files[arch], { weightType: 12 }); // Q4_K base, llama.cpp's Q8_K input rounding
  }
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const seq = (n: number, s: number): number[] => Array.from({ length: n }, (_, i) => (i * 7 + s * 13) % 40);

for (const arch of ['llama', 'phi3'] as const) {
  test(`${arch}: forward-only log-probs (FFN in row chunks) equal the full-batch FFN's`, async () => {
    const model = await loadEngineModel(files[arch]);
    try {
      const batch = makeBatch([seq(200, 1), seq(90, 2)]);
      const F = model.nFf;
      const ffnMask = model.layers.map((_, l) => Float32Array.from({ length: F }, (_, i) => ((i + l) % 5 === 0 ? 0 : 1)));
      const chunked = batchLogprobs(model, batch, { ffnMask });
      const full = batchLogprobs(model, batch, { ffnMask, captureFfn: () => {} });
      const { logp } = lossAndGrad(model, batch, { weights: new Float32Array(batch.tokens.length) }, { ffnMask });
      assert.ok(chunked.some((v) => Number.isFinite(v)));
      assert.deepEqual(chunked, full);
      assert.deepEqual(chunked, logp);
    } finally {
      model.dispose();
    }
  });
}
