import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRandomModel, LoraAdapter } from '../../../src/engine/model/index.js';
import { ALL_LORA_TARGETS, pairLogps, preferenceTrainObjective, type EncodedPair } from '../../../src/engine/tune/index.js';

test('the DPO + IPO + SFT mix gradient on LoRA A and B matches finite differences of its loss', () => {
  const model = createRandomModel({ nVocab: 24, nEmbd: 16, nLayer: 1, nHead: 2, nFf: 24, contextLength: 16, initStd: 0.3, seed: 2 });
  const lora = LoraAdapter.create(model, { r: 2, alpha: 4, targets: ALL_LORA_TARGETS, seed: 4 });
  let k = 1;
  for (const p of lora.pairs.values()) for (let i = 0; i < p.b.length; i++) p.b[i] = Math.sin(k++ * 0.9) * 0.3;
  const pairs: EncodedPair[] = [
    { chosen: Int32Array.of(1, 4, 9, 5, 6), rejected: Int32Array.of(1, 4, 9, 7, 8, 3), chosenStart: 3, rejectedStart: 3 },
    { chosen: Int32Array.of(1, 12, 5), rejected: Int32Array.of(1, 12, 20, 2), chosenStart: 2, rejectedStart: 2 },
  ];
  const reference = pairLogps(model, pairs);
  // a reference that differs from the policy, so no term sits at a symmetric point
  reference.chosen[0] -= 0.7; reference.rejected[1] += 0.4;
  const objective = preferenceTrainObjective({ model, lora, pairs, reference, mix: { dpo: 1, ipo: 0.5, sft: 0.3 }, beta: 0.5, seed: 1, microBatch: 2 });
  // cursor 0, both pairs in one pass, batch of 2 (the shuffled order visits both)
  const lossAt = (): number => { lora.zeroGrad(); return objective.microStep(0, 2, 2).loss; };
  lossAt();
  const params = lora.parameters();
  const grads = params.map((p) => Float32Array.from(p.grad));
  let checked = 0;
  for (const [pi, p] of params.entries()) {
    if (pi % 5 !== 0) continue;
    for (const i of [0, Math.floor(p.data.length / 2)]) {
      const h = 1e-2, x = p.data[i]!;
      p.data[i] = x + h; const up = lossAt();
      p.data[i] = x - h; const down = lossAt();
      p.data[i] = x;
      const fd = (up - down) / (2 * h), g = grads[pi]![i]!;
      assert.ok(Math.abs(fd - g) <= 2e-3 + 0.05 * Math.abs(fd), `${p.name}[${i}]: analytic ${g}, finite difference ${fd}`);
      checked++;
    }
  }
  assert.ok(checked >= 4 && grads.some((g) => g.some((v) => Math.abs(v) > 1e-4)), 'non-trivial gradients were checked');
  model.dispose();
});
