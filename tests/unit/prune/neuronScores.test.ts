// The neuron-similarity summary (cosine of the top-scored neurons' activations) on hand-made activations, and the
// neuron-scores file: written and read back bit for bit, anything else refused with a one-line PRUNE_BAD_SCORES.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readNeuronScores, topNeuronSimilarity, writeNeuronScores, type NeuronScoresRecord } from '../../../src/engine/prune/index.js';

test('topNeuronSimilarity: the top-n neurons by score (ties: lower index), cosine of their activation columns', () => {
  // h [rows 4, F 5]: neuron 0 = (1,2,0,1), 1 = −neuron 0, 2 = 3·neuron 0, 3 never fires, 4 = (0,0,1,0)
  const cols = [[1, 2, 0, 1], [-1, -2, 0, -1], [3, 6, 0, 3], [0, 0, 0, 0], [0, 0, 1, 0]];
  const rows = 4, F = 5;
  const h = new Float32Array(rows * F);
  cols.forEach((c, i) => c.forEach((v, t) => (h[t * F + i] = v)));
  const s = topNeuronSimilarity(h, rows, F, Float32Array.from([0.5, 0.9, 0.5, 0.7, 0.1]), 4);
  assert.deepEqual(Array.from(s.neurons), [1, 3, 0, 2]);
  const c = (a: number, b: number): number => s.cosine[a * 4 + b];
  assert.equal(c(0, 0), 1);
  assert.equal(c(1, 1), 1, 'a silent neuron is itself');
  assert.ok(Math.abs(c(0, 2) + 1) < 1e-6, 'opposite patterns: −1');
  assert.ok(Math.abs(c(2, 3) - 1) < 1e-6, 'scaled patterns: 1');
  assert.equal(c(0, 1), 0, 'a silent neuron: 0 with the others');
  for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) assert.equal(c(a, b), c(b, a));
  // the neuron outside the top 4 plays no part; n above F takes them all
  assert.equal(topNeuronSimilarity(h, rows, F, Float32Array.from([1, 1, 1, 1, 1]), 32).neurons.length, 5);
});

test('neuron-scores file: written and read back exactly; a foreign or damaged file is a one-line PRUNE_BAD_SCORES', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-scores-'));
  try {
    const file = path.join(dir, 'neuron-scores.json');
    const r: NeuronScoresRecord = {
      model: '/models/m.gguf', method: 'activation',
      scores: [Float32Array.from([0.1, -2.5e-8, 3.75, Math.fround(1 / 3)]), Float32Array.from([1, 2])],
      similarity: { rows: 64, layers: [{ neurons: Int32Array.from([2, 0]), cosine: Float32Array.from([1, 0.25, 0.25, 1]) }] },
    };
    await writeNeuronScores(file, r);
    assert.deepEqual(fs.readdirSync(dir), ['neuron-scores.json'], 'no temporary file left');
    assert.deepEqual(await readNeuronScores(file), r);
    await writeNeuronScores(file, { ...r, similarity: undefined });
    assert.equal((await readNeuronScores(file)).similarity, undefined);

    const bad = async (text: string, pattern: RegExp): Promise<void> => {
      fs.writeFileSync(file, text);
      await assert.rejects(readNeuronScores(file), (e: Error & { code?: string }) => e.code === 'PRUNE_BAD_SCORES' && pattern.test(e.message) && !e.message.includes('\n'));
    };
    await bad('{"format":"other"}', /not a neuron-scores file/);
    await bad('{not json', /cannot be read as neuron scores/);
    await bad(JSON.stringify({ format: 'model-lab.neuron-scores', version: 1, layers: [{ width: 3, scores: Buffer.alloc(8).toString('base64') }] }), /layer 0 has 2 scores, not its width 3/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
