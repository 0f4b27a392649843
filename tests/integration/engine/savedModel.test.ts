// A model built and trained by the engine, saved with saveModelGguf, loads in llama.cpp and gives the same
// per-token log-probs there as in the engine (the demo model's path from training to the runtime).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { nllWeights } from '../../../src/engine/loss/index.js';
import { batchLogprobs, createRandomModel, lossAndGrad, makeBatch, saveModelGguf } from '../../../src/engine/model/index.js';
import { AdamW } from '../../../src/engine/optim/index.js';
import { tokenizerGgufMetadata, trainSpmVocab } from '../../../src/engine/tokenizer/index.js';
import { EXACT_SCORING_CONTEXT, scoreTokens } from '../../../src/runtime/core/scoreTokens.js';

test('a trained engine model saved as GGUF scores the same in llama.cpp (F32 every token within 1e-3)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  const { getLlama } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never' });
  try {
    const text = 'function add(a, b) { return a + b; }\nconst x = add(1, 2);\nconsole.log(x);\n'.repeat(20);
    const vocab = trainSpmVocab([text], { vocabSize: 300, minCharCount: 2 });
    const model = createRandomModel({ nVocab: vocab.tokens.length, nEmbd: 32, nLayer: 2, nHead: 4, nHeadKv: 2, nFf: 64,
      contextLength: 128, tiedOutput: true, seed: 2 });
    const params = model.enableFullTraining();
    const opt = new AdamW(params, { lr: 1e-2 });
    const seq = Array.from({ length: 40 }, (_, i) => 3 + ((i * 31) % (vocab.tokens.length - 3)));
    const batch = makeBatch([seq]);
    for (let s = 0; s < 5; s++) { opt.zeroGrad(); lossAndGrad(model, batch, { weights: nllWeights(batch) }); opt.step(); }
    const file = path.join(dir, 'trained.gguf');
    await saveModelGguf(model, file, { metadata: tokenizerGgufMetadata(vocab) });
    const ours = batchLogprobs(model, batch);
    const lm = await llama.loadModel({ modelPath: file });
    const ctx = await lm.createContext({ contextSize: 128, threads: 2, ...EXACT_SCORING_CONTEXT });
    try {
      const theirs = (await scoreTokens(ctx.getSequence(), seq, { window: 128 })).logprobs.slice(1) as number[];
      theirs.forEach((v, i) => assert.ok(Math.abs(v - ours[i]) <= 1e-3, `token ${i + 1}: llama.cpp ${v}, engine ${ours[i]}`));
    } finally {
      await ctx.dispose();
      await lm.dispose();
    }
  } finally {
    await llama.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
