// Neuron scores against direct computations on small generated models (weights read and dequantized whole here,
// activations captured from the engine's forward), and the properties each method promises.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { readGguf, readTensorBytes, rewriteGguf, type GgufFile } from '../../../src/engine/gguf/index.js';
import { createReferenceBackend, type KernelBackend } from '../../../src/engine/kernels/index.js';
import { nllWeights } from '../../../src/engine/loss/index.js';
import { batchLogprobs, loadEngineModel, makeBatch } from '../../../src/engine/model/index.js';
import {
  CALIBRATION_SAMPLE, calibrationFromTexts, ffnLayout, greedyUniqueScores, redundancyReport, scoreNeurons, type CalibrationSet, type ScoreContext,
} from '../../../src/engine/prune/index.js';
import { dequantize, quantize } from '../../../src/engine/quant/index.js';
import { writeTestModel } from '../../../src/engine/synth/index.js';
import { SpmTokenizer, tokenizerVocabFromGguf } from '../../../src/engine/tokenizer/index.js';

let dir = '';
let backend: KernelBackend;
const models: Record<string, { path: string; file: GgufFile; cal: CalibrationSet }> = {};

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-prune-'));
  backend = createReferenceBackend();
  for (const [name, arch, weightType] of [['llama', 'llama', 'Q8_0'], ['phi3', 'phi3', 'F16'], ['llamaF32', 'llama', 'F32']] as const) {
    const p = path.join(dir, `${name}.gguf`);
    await writeTestModel(p, { arch, weightType, nEmbd: 64, nFf: 64, nLayer: 2, seed: 9 });
    const file = await readGguf(p);
    const tok = new SpmTokenizer(tokenizerVocabFromGguf(file.metadata));
    models[name] = { path: p, file, cal: calibrationFromTexts([{ name: 'sample', text: CALIBRATION_SAMPLE }], (t) => tok.encode(t, { addBos: true }), { window: 64, maxTokens: 256 }) };
  }
});
after(() => { backend?.dispose(); fs.rmSync(dir, { recursive: true, force: true }); });

function ctxFor(name: string, seed = 0): ScoreContext {
  const m = models[name];
  return { modelPath: m.path, file: m.file, layers: ffnLayout(m.file).layers, calibration: m.cal, seed, backend };
}

async function tensorF32(file: GgufFile, name: string): Promise<Float32Array> {
  const t = file.tensors.find((x) => x.name === name)!;
  return dequantize(t.type, await readTensorBytes(file, t), t.elements);
}

/** Σ_t h and Σ_t h² per layer from the engine's own FFN capture, and the token count. */
async function activationSums(name: string): Promise<{ n: number; sum: Float64Array[]; sq: Float64Array[] }> {
  const model = await loadEngineModel(models[name].path, { backend });
  const F = model.nFf;
  const sum = model.layers.map(() => new Float64Array(F)), sq = model.layers.map(() => new Float64Array(F));
  let n = 0;
  for (const seq of models[name].cal.sequences) {
    batchLogprobs(model, makeBatch([seq]), { captureFfn: (l, h, N) => { for (let k = 0; k < N * F; k++) { sum[l][k % F] += h[k]; sq[l][k % F] += h[k] * h[k]; } } });
    n += seq.length;
  }
  model.dispose();
  return { n, sum, sq };
}

async function downColNormsSq(name: string, layer: number, F: number): Promise<Float64Array> {
  const w = await tensorF32(models[name].file, `blk.${layer}.ffn_down.weight`);
  const out = new Float64Array(F);
  for (let k = 0; k < w.length; k++) out[k % F] += w[k] * w[k];
  return out;
}

const close = (a: number, b: number, rtol = 1e-4): boolean => Math.abs(a - b) <= rtol * Math.max(1e-6, Math.abs(b));

for (const name of ['llama', 'phi3']) {
  test(`${name}: magnitude is ||W_up[i, :]||₂ of the up projection (phi3: the second half of the fused ffn_up)`, async () => {
    const { scores } = await scoreNeurons('magnitude', ctxFor(name));
    const F = 64, C = 64;
    for (let l = 0; l < 2; l++) {
      const up = await tensorF32(models[name].file, `blk.${l}.ffn_up.weight`);
      const offset = name === 'phi3' ? F : 0;
      for (let i = 0; i < F; i++) {
        let s = 0;
        for (let j = 0; j < C; j++) s += up[(offset + i) * C + j] ** 2;
        assert.ok(close(scores[l][i], Math.sqrt(s)), `layer ${l} neuron ${i}: ${scores[l][i]} vs ${Math.sqrt(s)}`);
      }
    }
  });

  test(`${name}: activation (Wanda-sp) is sqrt(mean h²)·||W_down[:, i]||₂ and FLAP is var(h)·||W_down[:, i]||² standardized per layer`, async () => {
    const act = await scoreNeurons('activation', ctxFor(name));
    const flap = await scoreNeurons('flap', ctxFor(name));
    const { n, sum, sq } = await activationSums(name);
    for (let l = 0; l < 2; l++) {
      const col = await downColNormsSq(name, l, 64);
      const raw = Array.from(col, (c, i) => (sq[l][i] / n - (sum[l][i] / n) ** 2) * c);
      const mean = raw.reduce((a, b) => a + b, 0) / raw.length;
      const std = Math.sqrt(raw.reduce((a, b) => a + (b - mean) ** 2, 0) / raw.length);
      for (let i = 0; i < 64; i++) {
        assert.ok(close(act.scores[l][i], Math.sqrt(sq[l][i] / n) * Math.sqrt(col[i]), 1e-3), `activation layer ${l} neuron ${i}`);
        assert.ok(Math.abs(flap.scores[l][i] - (raw[i] - mean) / std) <= 1e-3, `flap layer ${l} neuron ${i}: ${flap.scores[l][i]} vs ${(raw[i] - mean) / std}`);
        assert.ok(close(flap.meanActivation![l][i], sum[l][i] / n, 1e-3), 'mean activation for bias compensation');
      }
      const m = flap.scores[l].reduce((a, b) => a + b, 0) / 64;
      const s = Math.sqrt(flap.scores[l].reduce((a, b) => a + (b - m) ** 2, 0) / 64);
      assert.ok(Math.abs(m) < 1e-5 && Math.abs(s - 1) < 1e-4, `standardized: mean ${m}, std ${s}`);
    }
  });
}

test('random: the same seed gives the same scores, another seed others', async () => {
  const a = await scoreNeurons('random', ctxFor('llama', 1)), b = await scoreNeurons('random', ctxFor('llama', 1)), c = await scoreNeurons('random', ctxFor('llama', 2));
  assert.deepEqual(a.scores, b.scores);
  assert.notDeepEqual(a.scores, c.scores);
});

test('sensitivity: |first-order loss change| of removing a neuron, checked by finite differences of its FFN gate', async () => {
  const { scores } = await scoreNeurons('sensitivity', ctxFor('llamaF32'));
  const model = await loadEngineModel(models.llamaF32.path, { backend, llamaCppRounding: false });
  const seqs = models.llamaF32.cal.sequences;
  const loss = (mask: Float32Array[]): number => {
    let s = 0;
    for (const seq of seqs) {
      const batch = makeBatch([seq]);
      const w = nllWeights(batch, null, 'sum');
      const lp = batchLogprobs(model, batch, { ffnMask: mask });
      for (let t = 0; t < lp.length; t++) if (w[t]) s -= w[t] * lp[t];
    }
    return s / models.llamaF32.cal.tokens;
  };
  const ones = (): Float32Array[] => [new Float32Array(64).fill(1), new Float32Array(64).fill(1)];
  const base = loss(ones());
  const eps = 1e-3;
  for (const [l, i] of [[0, 3], [1, 10], [1, 40]]) {
    const m = ones();
    m[l][i] = 1 - eps;
    const fd = Math.abs((loss(m) - base) / eps);
    assert.ok(Math.abs(fd - scores[l][i]) <= 0.05 * Math.max(fd, 1e-4) + 1e-5, `layer ${l} neuron ${i}: score ${scores[l][i]} vs finite difference ${fd}`);
  }
  model.dispose();
});

test('greedy unique selection keeps a distinct neuron before a near-duplicate of one already kept', () => {
  // neuron 0 important; 1 an exact duplicate of 0 (cos 1) and more important than 2; 2 distinct (cos 0)
  const F = 3;
  const gram = Float32Array.of(1, 1, 0, 1, 1, 0, 0, 0, 1);
  const s = greedyUniqueScores([1, 0.9, 0.5], gram, F);
  assert.ok(s[0] > s[2] && s[2] > s[1], `scores ${Array.from(s)}`);
  assert.ok(s[1] <= 1e-5, 'the duplicate is worth nothing once its twin is kept');
});

let duplicated: Promise<string> | undefined;
/** The F32 llama model with neuron 5 of layer 0 copied into neuron 6 (same gate/up rows: identical activations). */
function duplicatedModel(): Promise<string> {
  duplicated ??= writeDuplicated();
  return duplicated;
}

async function writeDuplicated(): Promise<string> {
  const src = models.llamaF32.path, dup = path.join(dir, 'dup.gguf');
  const C = 64, F = 64;
  await rewriteGguf(src, dup, { tensor: (t) => {
    if (t.name === 'blk.0.ffn_gate.weight' || t.name === 'blk.0.ffn_up.weight') {
      return [{ name: t.name, type: t.type, shape: t.shape, data: async function* (s) {
        const w = await tensorF32(s.file, t.name);
        w.copyWithin(6 * C, 5 * C, 6 * C);
        yield quantize(0, w);
      } }];
    }
    if (t.name === 'blk.0.ffn_down.weight') {
      return [{ name: t.name, type: t.type, shape: t.shape, data: async function* (s) {
        const w = await tensorF32(s.file, t.name);
        for (let r = 0; r < C; r++) w[r * F + 6] = w[r * F + 5];
        yield quantize(0, w);
      } }];
    }
    return undefined;
  } });
  return dup;
}

test('gum-oneshot drops a duplicated neuron that activation scoring keeps', async () => {
  const dup = await duplicatedModel();
  const F = 64;
  const file = await readGguf(dup);
  const ctx: ScoreContext = { ...ctxFor('llamaF32'), modelPath: dup, file, layers: ffnLayout(file).layers };
  const act = (await scoreNeurons('activation', ctx)).scores[0];
  const gum = (await scoreNeurons('gum-oneshot', ctx)).scores[0];
  assert.equal(act[5], act[6], 'twins score the same by activation');
  const rank = (s: Float32Array, i: number): number => Array.from(s).filter((v) => v > s[i]).length;
  assert.ok(Math.min(rank(gum, 5), rank(gum, 6)) < F / 2, 'one twin stays in the top half');
  assert.ok(Math.max(rank(gum, 5), rank(gum, 6)) >= F - 4, `the other twin falls to the bottom (ranks ${rank(gum, 5)}, ${rank(gum, 6)})`);
});

test('redundancy report: the twins are the only neurons without uniqueness, and their layer is the more redundant', async () => {
  const dup = await duplicatedModel();
  const file = await readGguf(dup);
  const r = await redundancyReport({ ...ctxFor('llamaF32'), modelPath: dup, file, layers: ffnLayout(file).layers });
  assert.equal(r.layers.length, 2);
  assert.equal(r.layers[0].uniqueness, 62 / 64);
  assert.equal(r.layers[1].uniqueness, 1);
  assert.ok(r.layers[0].meanMaxCos > r.layers[1].meanMaxCos);
  for (const l of r.layers) assert.ok(l.sensitivity > 0 && l.spanR2 >= 0 && l.spanR2 <= 1, JSON.stringify(l));
});
