// rope_freqs (Llama 3.1/3.2): each rotary pair's angle divided by its factor, in the forward and in the backward
// (the inverse rotation reads the same table).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { nllWeights } from '../../../src/engine/loss/index.js';
import { createRandomModel } from '../../../src/engine/model/createRandomModel.js';
import { batchLogprobs, lossAndGrad, makeBatch } from '../../../src/engine/model/modelForward.js';
import { rope, ropeTable } from '../../../src/engine/model/ops/rope.js';
import { loadEngineModel, saveModelGguf } from '../../../src/engine/model/index.js';
import { llama3RopeFreqs } from '../../../src/engine/synth/index.js';
import { checkDirection } from './fdCheck.js';

test('ropeTable divides each pair\'s angle by its frequency factor; factors of 1 change nothing', () => {
  const dims = 8, base = 500000;
  const factors = Float32Array.from([1, 2, 8, 32]);
  const plain = ropeTable(dims, base, 50);
  const scaled = ropeTable(dims, base, 50, factors);
  assert.deepEqual(ropeTable(dims, base, 50, new Float32Array(4).fill(1)).cos, plain.cos);
  for (const p of [1, 17, 49]) {
    for (let i = 0; i < 4; i++) {
      const theta = Math.atan2(plain.sin[p * 4 + i], plain.cos[p * 4 + i]);
      const want = theta / factors[i];
      assert.ok(Math.abs(Math.atan2(scaled.sin[p * 4 + i], scaled.cos[p * 4 + i]) - want) < 1e-6, `p ${p} pair ${i}`);
    }
  }
  assert.throws(() => ropeTable(dims, base, 4, new Float32Array(3)), /3 frequency factors for 4 rotary pairs/);
});

test('rope with frequency factors: the backward (inverse) undoes the forward, NORM and NEOX', () => {
  const table = ropeTable(16, 10000, 8, Float32Array.from(llama3RopeFreqs(16, 10000, 8, 1, 4, 4)));
  for (const mode of ['norm', 'neox'] as const) {
    const x = Float32Array.from({ length: 3 * 2 * 16 }, (_, i) => Math.sin(i * 0.37));
    const y = x.slice();
    const pos = Int32Array.from([0, 3, 7]);
    rope(y, 3, 2, 16, pos, table, mode);
    assert.ok(y.some((v, i) => Math.abs(v - x[i]) > 1e-3));
    rope(y, 3, 2, 16, pos, table, mode, true);
    y.forEach((v, i) => assert.ok(Math.abs(v - x[i]) < 1e-5, `${mode} ${i}`));
  }
});

test('llama3RopeFreqs: high frequencies unscaled, low ones by the factor, a blend between (Llama-3.2-1B\'s settings)', () => {
  const f = llama3RopeFreqs(64, 500000, 32, 1, 4, 8192);
  assert.equal(f.length, 32);
  assert.equal(f[0], 1);
  assert.equal(f[31], 32);
  const blend = f.filter((v) => v > 1 && v < 32);
  assert.ok(blend.length > 0 && blend.every((v, i) => i === 0 || v >= blend[i - 1]));
});

test('llama with rope_freqs: the factors change the forward, and every gradient matches finite differences', () => {
  const model = createRandomModel({ architecture: 'llama', nVocab: 12, nEmbd: 16, nLayer: 2, nHead: 2, nHeadKv: 1, nFf: 24, initStd: 0.3, seed: 4 });
  const batch = makeBatch([[1, 5, 9, 3, 7, 2, 8, 4, 6, 11]]);
  const plain = batchLogprobs(model, batch);
  model.ropeFreqFactors = Float32Array.from([1, 3, 8, 32]);
  const scaled = batchLogprobs(model, batch);
  assert.ok(scaled.some((v, i) => Math.abs(v - plain[i]) > 1e-3), 'the factors are used');
  const params = model.enableFullTraining();
  const weights = nllWeights(batch, [[0, 1, 1, 1, 1, 1, 1, 1, 1, 1]]);
  lossAndGrad(model, batch, { weights });
  const lossOf = (): number => {
    const lp = batchLogprobs(model, batch);
    let l = 0;
    for (let t = 0; t < lp.length; t++) if (weights[t]) l -= weights[t] * lp[t];
    return l;
  };
  for (const p of params) checkDirection(p.name, p.data, p.grad, lossOf, { eps: 1e-2, rtol: 2e-2, atol: 2e-5 });
});

test('saveModelGguf writes rope_freqs back, and the loaded model computes the same log-probs', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-ropefreqs-'));
  try {
    const model = createRandomModel({ architecture: 'llama', nVocab: 12, nEmbd: 16, nLayer: 1, nHead: 2, nHeadKv: 1, nFf: 16, initStd: 0.3, seed: 6 });
    model.ropeFreqFactors = Float32Array.from([1, 2, 4, 16]);
    const file = path.join(dir, 'm.gguf');
    await saveModelGguf(model, file);
    const loaded = await loadEngineModel(file, { dense: true });
    try {
      assert.deepEqual(loaded.ropeFreqFactors, model.ropeFreqFactors);
      const batch = makeBatch([[1, 2, 3, 4, 5, 6, 7, 8]]);
      const a = batchLogprobs(model, batch), b = batchLogprobs(loaded, batch);
      a.forEach((v, i) => assert.ok(Number.isNaN(v) ? Number.isNaN(b[i]) : Math.abs(v - b[i]) < 1e-6, `row ${i}`));
    } finally {
      loaded.dispose();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
