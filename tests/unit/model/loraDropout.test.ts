// LoRA dropout (PEFT's lora_dropout): the LoRA branch reads x ⊙ mask in training passes only; masks follow from a
// seed, so the recomputed backward, a rerun and a resumed run see the same ones.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Rng } from '../../../src/engine/model/random.js';
import { DEFAULT_TUNE, trainPreferences, type EncodedPair, type TuneConfig } from '../../../src/engine/tune/index.js';
import { nllWeights } from '../../../src/engine/loss/index.js';
import { createRandomModel } from '../../../src/engine/model/createRandomModel.js';
import { LoraAdapter } from '../../../src/engine/model/LoraAdapter.js';
import { batchLogprobs, lossAndGrad, makeBatch } from '../../../src/engine/model/modelForward.js';
import { loraDropout, loraDropoutSeed } from '../../../src/engine/model/ops/loraDropout.js';
import type { EngineModel } from '../../../src/engine/model/EngineModel.js';
import { checkDirection, randn } from './fdCheck.js';

const seqs = [[1, 5, 9, 3, 7, 2], [4, 4, 8, 1]];

function setup(arch: 'llama' | 'phi3', dropout: number): { model: EngineModel; lora: LoraAdapter } {
  const model = createRandomModel({ architecture: arch, nVocab: 12, nEmbd: 16, nLayer: 2, nHead: 4, nHeadKv: arch === 'phi3' ? 4 : 2, nFf: 24, initStd: 0.3, seed: 3 });
  const targets = arch === 'phi3' ? ['attn_qkv', 'attn_output', 'ffn_up', 'ffn_down'] as const : ['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down'] as const;
  const lora = LoraAdapter.create(model, { r: 3, alpha: 6, targets: [...targets], seed: 2, dropout });
  // B ≠ 0, so every branch carries gradient to A and to the input below
  let k = 50;
  for (const p of lora.pairs.values()) p.b.set(randn(p.b.length, k++, 0.3));
  return { model, lora };
}

test('the mask: share p dropped, survivors scaled by 1/(1−p); a function of seed, projection name and index', () => {
  const n = 200_000, p = 0.3;
  const x = new Float32Array(n).fill(2);
  const a = loraDropout(x, n, p, 17, 'blk.0.attn_q');
  const dropped = a.mask.reduce((s, m) => s + (m === 0 ? 1 : 0), 0) / n;
  assert.ok(Math.abs(dropped - p) < 0.005, `dropped share ${dropped}`);
  assert.ok(a.mask.every((m) => m === 0 || Math.abs(m - 1 / (1 - p)) < 1e-6), 'kept elements are scaled by 1/(1−p)');
  assert.ok(a.x.every((v, i) => v === 2 * a.mask[i]!), 'x̃ = x ⊙ mask');
  assert.deepEqual(loraDropout(x, n, p, 17, 'blk.0.attn_q').mask, a.mask, 'same seed and name: same mask');
  const agree = (b: Float32Array): number => b.reduce((s, m, i) => s + ((m === 0) === (a.mask[i] === 0) ? 1 : 0), 0) / n;
  // independent masks agree on p² + (1−p)² = 0.58 of the elements
  for (const other of [loraDropout(x, n, p, 17, 'blk.0.attn_k').mask, loraDropout(x, n, p, 18, 'blk.0.attn_q').mask]) {
    assert.ok(Math.abs(agree(other) - 0.58) < 0.01, `another name or seed draws another mask (agreement ${agree(other)})`);
  }
  assert.notEqual(loraDropoutSeed(1, 0), loraDropoutSeed(1, 1));
  assert.notEqual(loraDropoutSeed(1, 0), loraDropoutSeed(2, 0));
  assert.ok(loraDropout(x, n, 0, 17, 'blk.0.attn_q').mask.every((m) => m === 1), 'p = 0 keeps everything');
});

test('p = 0 is exactly the adapter without dropout; p > 0 changes training passes only, never scoring', () => {
  const batch = makeBatch(seqs);
  const weights = nllWeights(batch, [[0, 1, 1, 1, 1, 1], [0, 1, 1, 1]]);
  const grads = (dropout: number, seed: number | undefined): { loss: number; g: Float32Array[] } => {
    const { model, lora } = setup('llama', dropout);
    const { loss } = lossAndGrad(model, batch, { weights }, { lora, loraDropoutSeed: seed });
    return { loss, g: lora.parameters().map((q) => Float32Array.from(q.grad)) };
  };
  const plain = grads(0, undefined);
  assert.deepEqual(grads(0, 5), plain, 'dropout 0 with a pass seed: the same loss and gradients, bit for bit');
  assert.deepEqual(grads(0.2, undefined), plain, 'no pass seed: no dropout');
  const dropped = grads(0.2, 5);
  assert.notEqual(dropped.loss, plain.loss, 'dropout 0.2 in a training pass changes the loss');
  assert.deepEqual(grads(0.2, 5), dropped, 'the same pass seed: the same loss and gradients');
  const a = setup('llama', 0), b = setup('llama', 0.5);
  assert.deepEqual(batchLogprobs(b.model, batch, { lora: b.lora }), batchLogprobs(a.model, batch, { lora: a.lora }), 'scoring ignores dropout');
});

for (const arch of ['llama', 'phi3'] as const) {
  test(`${arch}: with dropout 0.3 and a fixed mask, every LoRA gradient matches finite differences${arch === 'phi3' ? ' (fused attn_qkv, ffn_up)' : ''}; recomputing equals keeping`, () => {
    const { model, lora } = setup(arch, 0.3);
    const batch = makeBatch(seqs);
    const weights = nllWeights(batch, [[0, 1, 1, 0, 1, 1], [0, 1, 1, 1]]);
    const seed = loraDropoutSeed(9, 3);
    lossAndGrad(model, batch, { weights }, { lora, loraDropoutSeed: seed, recompute: true });
    const params = lora.parameters();
    const grads = params.map((p) => Float32Array.from(p.grad));
    const lossOf = (): number => {
      const l = lossAndGrad(model, batch, { weights }, { lora, loraDropoutSeed: seed }).loss;
      lora.zeroGrad();
      return l;
    };
    // layer 0's gradients pass through layer 1's masked branches (dx ⊙ mask)
    params.forEach((p, i) => checkDirection(p.name, p.data, grads[i]!, lossOf, { eps: 1e-2, rtol: 2e-2, atol: 2e-5 }));
    lora.zeroGrad();
    lossAndGrad(model, batch, { weights }, { lora, loraDropoutSeed: seed, recompute: false });
    params.forEach((p, i) => assert.deepEqual(p.grad, grads[i], `${p.name}: the recomputed blocks drew the forward's masks`));
  });
}

test('a dropout outside [0, 1) is refused', () => {
  const model = createRandomModel({ nVocab: 12, nEmbd: 8, nLayer: 1, nHead: 2, nFf: 8, seed: 1 });
  assert.throws(() => LoraAdapter.create(model, { r: 2, alpha: 4, targets: ['attn_q'], dropout: 1 }), { code: 'ENGINE_BAD_INPUT' });
  assert.throws(() => LoraAdapter.create(model, { r: 2, alpha: 4, targets: ['attn_q'], dropout: -0.1 }), { code: 'ENGINE_BAD_INPUT' });
});

test('a preference run with dropout 0.2 is the same for the same seed, differs from dropout 0, and resumes to the same adapter', async () => {
  const model = createRandomModel({ nVocab: 32, nEmbd: 16, nLayer: 2, nHead: 2, nFf: 32, contextLength: 32, initStd: 0.2, seed: 3 });
  const rng = new Rng(4);
  const tok = (): number => 3 + Math.floor(rng.next() * 29);
  const train: EncodedPair[] = Array.from({ length: 12 }, () => {
    const prompt = [1, tok(), tok(), tok()];
    return { chosen: Int32Array.from([...prompt, 5, 6]), rejected: Int32Array.from([...prompt, tok(), tok()]), chosenStart: 4, rejectedStart: 4 };
  });
  const config = (dropout: number): TuneConfig => ({
    ...DEFAULT_TUNE, lora: { r: 4, alpha: 8, targets: DEFAULT_TUNE.lora.targets, dropout }, steps: 10, batchSize: 4, microBatch: 2,
    lr: 5e-2, minLr: 1e-3, warmupSteps: 2, checkpointEvery: 4, evalEvery: 0, beta: 0.5,
  });
  const dirs = [0, 1, 2, 3].map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'ml-lora-dropout-')));
  const weights = (r: { adapter: LoraAdapter }): Float32Array[] => r.adapter.parameters().map((p) => Float32Array.from(p.data));
  try {
    const once = await trainPreferences(dirs[0]!, model, config(0.2), { train, baseId: 'tiny' });
    assert.equal(once.adapter.dropout, 0.2);
    assert.deepEqual(weights(await trainPreferences(dirs[1]!, model, config(0.2), { train, baseId: 'tiny' })), weights(once), 'rerun: the same adapter');
    const plain = weights(await trainPreferences(dirs[2]!, model, config(0), { train, baseId: 'tiny' }));
    assert.notDeepEqual(plain, weights(once), 'dropout changes what is learned');
    await assert.rejects(trainPreferences(dirs[3]!, model, config(0.2), { train, baseId: 'tiny' }, {
      onProgress: (p) => { if (p.step === 6) throw new Error('killed'); },
    }), /killed/);
    const resumed = await trainPreferences(dirs[3]!, model, config(0.2), { train, baseId: 'tiny' });
    assert.equal(resumed.resumedFrom, 4);
    assert.deepEqual(weights(resumed), weights(once), 'resumed from step 4: the uninterrupted adapter');
  } finally {
    model.dispose();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
});
