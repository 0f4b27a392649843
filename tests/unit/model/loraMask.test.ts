import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { dpoLoss, ipoLoss, nllWeights, preferenceObjective } from '../../../src/engine/loss/index.js';
import {
  batchLogprobs, createRandomModel, hardMaskFromScores, loadEngineModel, LoraAdapter, lossAndGrad, makeBatch, saveModelGguf,
  type EngineModel,
} from '../../../src/engine/model/index.js';
import { checkDirection, randn } from './fdCheck.js';

let dir = '';
const files: Record<string, string> = {};
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  for (const arch of ['llama', 'phi3', 'qwen2'] as const) {
    const m = createRandomModel({ architecture: arch, nVocab: 16, nEmbd: 32, nLayer: 2, nHead: 4, nHeadKv: 2, nFf: 32,
      initStd: 0.25, seed: 21 });
    for (const w of m.linears()) if (w.bias) w.bias.set(randn(w.bias.length, 5, 0.2));
    files[arch] = path.join(dir, `${arch}.gguf`);
    await saveModelGguf(m, files[arch], { weightType: 1 }); // F16 base
  }
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const seqs = [[1, 5, 9, 3, 7, 2, 11], [4, 4, 8, 1, 15]];

/** A base frozen in its stored type (F16), without llama.cpp's activation rounding (a staircase for FD). */
const loadBase = (arch: string): Promise<EngineModel> => loadEngineModel(files[arch], { llamaCppRounding: false });

function randomB(lora: LoraAdapter): void {
  let k = 50;
  for (const p of lora.pairs.values()) p.b.set(randn(p.b.length, k++, 0.2));
}

for (const arch of ['llama', 'phi3', 'qwen2'] as const) {
  test(`${arch}: LoRA A/B gradients on every target match finite differences; the base stays frozen`, async () => {
    const model = await loadBase(arch);
    const targets = arch === 'phi3'
      ? (['attn_qkv', 'attn_output', 'ffn_up', 'ffn_down'] as const)
      : (['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down'] as const);
    const lora = LoraAdapter.create(model, { r: 2, alpha: 4, targets: [...targets], seed: 3 });
    assert.equal(lora.pairs.size, targets.length * 2);
    randomB(lora);
    const batch = makeBatch(seqs);
    const weights = nllWeights(batch);
    lossAndGrad(model, batch, { weights }, { lora });
    const lossOf = (): number => {
      const lp = batchLogprobs(model, batch, { lora });
      let l = 0;
      for (let t = 0; t < lp.length; t++) if (weights[t]) l -= weights[t] * lp[t];
      return l;
    };
    for (const p of lora.parameters()) checkDirection(p.name, p.data, p.grad, lossOf, { eps: 1e-2, rtol: 2e-2 });
    assert.equal(model.trainableParameters().length, 0, 'no base weight has a gradient');
    assert.ok(model.linears().every((w) => !w.data && (w.handle || w.rowF32)), 'base weights stay in their stored type');
    model.dispose();
  });
}

test('adapter off is exactly the base model (Hydra reference), adapter on changes it', async () => {
  const model = await loadBase('llama');
  const batch = makeBatch(seqs);
  const base = batchLogprobs(model, batch);
  const lora = LoraAdapter.create(model, { r: 4, alpha: 8, targets: ['attn_q', 'ffn_down'] });
  assert.deepEqual(batchLogprobs(model, batch, { lora }), base, 'fresh adapter (B = 0) changes nothing');
  randomB(lora);
  const on = batchLogprobs(model, batch, { lora });
  assert.notDeepEqual(on, base);
  lora.enabled = false;
  assert.deepEqual(batchLogprobs(model, batch, { lora }), base);
  model.dispose();
});

test('FFN mask-score gradients match finite differences and equal Σ_j dL/dW\'_ij·W_ij over ffn_down column i', () => {
  const model = createRandomModel({ nVocab: 16, nEmbd: 16, nLayer: 2, nHead: 2, nFf: 12, initStd: 0.3, seed: 4 });
  const params = model.enableFullTraining();
  const batch = makeBatch(seqs);
  const weights = nllWeights(batch);
  const masks = hardMaskFromScores([randn(12, 1), randn(12, 2)], 0.75);
  assert.deepEqual(masks.map((m) => m.reduce((a, b) => a + b, 0)), [9, 9]);
  const grads = masks.map((m) => new Float32Array(m.length));
  lossAndGrad(model, batch, { weights }, { ffnMask: masks, ffnMaskGrad: grads });
  const lossOf = (): number => {
    const lp = batchLogprobs(model, batch, { ffnMask: masks });
    let l = 0;
    for (let t = 0; t < lp.length; t++) if (weights[t]) l -= weights[t] * lp[t];
    return l;
  };
  masks.forEach((m, l) => checkDirection(`mask ${l}`, m, grads[l], lossOf, { eps: 1e-3, rtol: 1e-2 }));
  // the gate on neuron i is the same as scaling ffn_down's column i: dL/dm_i = m_i⁻¹ Σ_j dL/dW'_ji W'_ji for kept i
  model.layers.forEach((L, l) => {
    const W = L.wDown!.data!, G = params.find((p) => p.name === `blk.${l}.ffn_down.weight`)!.grad;
    for (let i = 0; i < 12; i++) {
      if (!masks[l][i]) continue;
      let s = 0;
      for (let j = 0; j < 16; j++) s += G[j * 12 + i] * W[j * 12 + i];
      assert.ok(Math.abs(s - grads[l][i]) < 1e-5 + 1e-3 * Math.abs(s), `layer ${l} neuron ${i}: ${s} vs ${grads[l][i]}`);
    }
  });
});

test('captureFfn hands each layer\'s activations [N, F], zero where the mask is off', () => {
  const model = createRandomModel({ nVocab: 16, nEmbd: 16, nLayer: 2, nHead: 2, nFf: 8, initStd: 0.3 });
  const mask = Float32Array.from([1, 0, 1, 1, 0, 1, 1, 1]);
  const seen: number[] = [];
  batchLogprobs(model, makeBatch(seqs), {
    ffnMask: [mask, null],
    captureFfn: (layer, h, N) => {
      seen.push(layer);
      assert.equal(h.length, N * 8);
      assert.equal(N, 12);
      if (layer === 0) for (let t = 0; t < N; t++) assert.ok(h[t * 8 + 1] === 0 && h[t * 8 + 4] === 0);
      else assert.ok(h.some((v) => v !== 0));
    },
  });
  assert.deepEqual(seen, [0, 1]);
});

for (const kind of ['dpo', 'ipo'] as const) {
  test(`${kind.toUpperCase()} on sequence log-prob sums: LoRA gradients match finite differences`, async () => {
    const model = await loadBase('qwen2');
    const lora = LoraAdapter.create(model, { r: 2, alpha: 2, targets: ['attn_v', 'ffn_up'], seed: 8 });
    randomB(lora);
    const batch = makeBatch([[1, 2, 3, 4, 5], [1, 2, 3, 9, 9, 6], [7, 1, 3], [7, 1, 14, 2]]);
    const masks = [[0, 0, 0, 1, 1], [0, 0, 0, 1, 1, 1], [0, 0, 1], [0, 0, 1, 1]];
    lora.enabled = false;
    const refLp = batchLogprobs(model, batch);
    lora.enabled = true;
    const sum = (s: number): number => { let t = 0; const sp = batch.spans[s]; for (let i = 1; i < sp.len; i++) t += masks[s][i] * refLp[sp.start + i - 1]; return t; };
    const pairs = [{ chosen: 0, rejected: 1, refChosen: sum(0) + 0.3, refRejected: sum(1) }, { chosen: 3, rejected: 2, refChosen: sum(3), refRejected: sum(2) - 0.2 }];
    const objective = preferenceObjective(batch, pairs, { kind, beta: 0.5, masks });
    const { loss } = lossAndGrad(model, batch, objective, { lora });
    const lossOf = (): number => objective.fn(batchLogprobs(model, batch, { lora })).loss;
    assert.ok(Math.abs(lossOf() - loss) < 1e-6);
    for (const p of lora.parameters()) checkDirection(p.name, p.data, p.grad, lossOf, { eps: 1e-2, rtol: 2e-2, atol: 1e-6 });
    model.dispose();
  });
}

test('DPO and IPO losses and derivatives against closed forms', () => {
  const p = { chosen: -10, rejected: -12, refChosen: -11, refRejected: -11.5 };
  const d = dpoLoss(p, 0.1);
  const z = 0.1 * (1 - -0.5);
  assert.ok(Math.abs(d.loss - Math.log(1 + Math.exp(-z))) < 1e-12);
  const h = 1e-6;
  const fd = (dpoLoss({ ...p, chosen: p.chosen + h }, 0.1).loss - dpoLoss({ ...p, chosen: p.chosen - h }, 0.1).loss) / (2 * h);
  assert.ok(Math.abs(fd - d.dChosen) < 1e-8);
  assert.ok(Math.abs(dpoLoss({ ...p, chosen: 1e4 }, 1).loss) < 1e-12 && Number.isFinite(dpoLoss({ ...p, chosen: -1e4 }, 1).loss));
  const i = ipoLoss(p, 0.1);
  assert.ok(Math.abs(i.loss - (1.5 - 5) ** 2) < 1e-12);
  assert.ok(Math.abs(i.dRejected - 2 * (5 - 1.5)) < 1e-12);
});
