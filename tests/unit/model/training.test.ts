import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { nllWeights } from '../../../src/engine/loss/index.js';
import { batchLogprobs, createRandomModel, loadEngineModel, lossAndGrad, makeBatch, saveModelGguf } from '../../../src/engine/model/index.js';
import { AdamW, clipGradNorm, warmupCosine } from '../../../src/engine/optim/index.js';

test('a tiny llama model trained from scratch overfits a short sequence', () => {
  const model = createRandomModel({ nVocab: 20, nEmbd: 16, nLayer: 2, nHead: 2, nFf: 32, seed: 5 });
  const params = model.enableFullTraining();
  const seq = [3, 14, 15, 9, 2, 6, 5, 3, 5, 8, 9, 7];
  const batch = makeBatch([seq]);
  const weights = nllWeights(batch);
  const opt = new AdamW(params, { lr: 2e-2, weightDecay: 0.01 });
  const lr = warmupCosine({ lr: 2e-2, warmupSteps: 10, totalSteps: 150, minLr: 1e-3 });
  let first = 0, last = 0;
  for (let step = 0; step < 150; step++) {
    opt.zeroGrad();
    const { loss } = lossAndGrad(model, batch, { weights });
    if (step === 0) first = loss;
    last = loss;
    clipGradNorm(params, 1);
    opt.step(lr(step));
  }
  assert.ok(first > 2.5, `starts near ln 20 (${first})`);
  assert.ok(last < 0.05, `memorised the sequence: loss ${last}`);
});

test('a model saved as GGUF loads back (stored and dense) with the same log-probs', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  try {
    for (const arch of ['llama', 'phi3', 'qwen2'] as const) {
      const model = createRandomModel({ architecture: arch, nVocab: 24, nEmbd: 16, nLayer: 2, nHead: 4, nHeadKv: 2, nFf: 32,
        tiedOutput: arch === 'qwen2', initStd: 0.2, seed: 9 });
      for (const w of model.linears()) if (w.bias) w.bias.fill(0.05);
      const file = path.join(dir, `${arch}.gguf`);
      await saveModelGguf(model, file);
      const batch = makeBatch([[1, 2, 3, 4, 5, 6, 7], [9, 8]]);
      const want = batchLogprobs(model, batch);
      for (const dense of [false, true]) {
        const loaded = await loadEngineModel(file, { dense });
        assert.equal(loaded.spec.architecture, arch);
        assert.equal(loaded.spec.tiedOutput, arch === 'qwen2');
        const got = batchLogprobs(loaded, batch);
        want.forEach((v, i) => assert.ok(Number.isNaN(v) ? Number.isNaN(got[i]) : Math.abs(v - got[i]) < 1e-5, `${arch} row ${i}`));
        loaded.dispose();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('AdamW: first step moves each weight by lr·sign(grad) plus decoupled decay', () => {
  const data = Float32Array.from([1, -2]);
  const grad = Float32Array.from([0.3, -0.1]);
  const opt = new AdamW([{ name: 'w', data, grad }], { lr: 0.1, weightDecay: 0.5, eps: 0 });
  opt.step();
  // m̂ = g, v̂ = g², so the Adam part is sign(g); decay adds lr·wd·w
  assert.ok(Math.abs(data[0] - (1 - 0.1 * (1 + 0.5 * 1))) < 1e-6);
  assert.ok(Math.abs(data[1] - (-2 - 0.1 * (-1 + 0.5 * -2))) < 1e-6);
});

test('AdamW: norms and biases get no weight decay', () => {
  const w = { name: 'blk.0.attn_norm.weight', data: Float32Array.from([2]), grad: Float32Array.from([0]) };
  new AdamW([w], { lr: 0.1, weightDecay: 1 }).step();
  assert.equal(w.data[0], 2);
});

test('clipGradNorm scales to the max norm and reports the norm before', () => {
  const p = { name: 'w', data: new Float32Array(2), grad: Float32Array.from([3, 4]) };
  assert.equal(clipGradNorm([p], 1), 5);
  assert.ok(Math.abs(p.grad[0] - 0.6) < 1e-6 && Math.abs(p.grad[1] - 0.8) < 1e-6);
  assert.ok(Math.abs(clipGradNorm([p], 10) - 1) < 1e-6);
  assert.ok(Math.abs(p.grad[0] - 0.6) < 1e-6);
});

test('warmup + cosine schedule: ramps up, peaks, decays to minLr', () => {
  const s = warmupCosine({ lr: 1, warmupSteps: 4, totalSteps: 14, minLr: 0.1 });
  assert.deepEqual([s(0), s(1), s(3)], [0.25, 0.5, 1]);
  assert.ok(Math.abs(s(4) - 1) < 1e-12);
  assert.ok(Math.abs(s(9) - 0.55) < 1e-12);
  assert.ok(Math.abs(s(14) - 0.1) < 1e-12 && Math.abs(s(100) - 0.1) < 1e-12);
});

test('long calls report progress and stop on an aborted signal', async () => {
  const model = createRandomModel({ nVocab: 10, nEmbd: 8, nLayer: 3, nHead: 2, nFf: 8 });
  model.enableFullTraining();
  const batch = makeBatch([[1, 2, 3, 4]]);
  const seen: number[] = [];
  lossAndGrad(model, batch, { weights: nllWeights(batch) }, { onProgress: (f) => seen.push(f) });
  assert.equal(seen.length, 6);
  assert.ok(seen.every((f, i) => f > 0 && f <= 1 && (i === 0 || f > seen[i - 1])) && seen[5] === 1, seen.join(' '));
  const ac = new AbortController();
  ac.abort();
  assert.throws(() => batchLogprobs(model, batch, { signal: ac.signal }), { code: 'ABORTED' });
  const ac2 = new AbortController();
  assert.throws(() => lossAndGrad(model, batch, { weights: nllWeights(batch) }, {
    signal: ac2.signal, onProgress: (f) => { if (f > 0.5) ac2.abort(); },
  }), { code: 'ABORTED' });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  try {
    const file = path.join(dir, 'm.gguf');
    await saveModelGguf(model, file);
    await assert.rejects(loadEngineModel(file, { signal: ac.signal }), { code: 'ABORTED' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
