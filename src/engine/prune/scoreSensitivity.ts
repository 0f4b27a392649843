import { throwIfAborted } from '../errors.js';
import { nllWeights } from '../loss/index.js';
import { lossAndGrad, makeBatch } from '../model/index.js';
import type { NeuronScores, ScoreContext } from './scoreTypes.js';
import { calibrationBatches, withEngineModel } from './withEngineModel.js';

/**
 * First-order sensitivity: |Σ_j W_ij · ∂L/∂W_ij| over neuron i's ffn_down column, summed over the calibration text
 * (L = next-token NLL, mean per token). That sum equals Σ_t h_ti · ∂L/∂h_ti, the first-order change of the loss
 * when the neuron is removed: it is the engine's FFN mask gradient with every mask at 1, from backward passes with
 * the weights frozen in their stored type. (The gate/up rows' own W ⊙ ∂L/∂W sums are not added: they estimate
 * perturbing the neuron's input, not removing it, and would need full weight gradients.)
 */
export async function scoreSensitivity(ctx: ScoreContext): Promise<NeuronScores> {
  return withEngineModel(ctx, (model) => {
    const F = model.nFf;
    const ffnMask = model.layers.map(() => new Float32Array(F).fill(1));
    const ffnMaskGrad = model.layers.map(() => new Float32Array(F));
    const batches = calibrationBatches(ctx, 256);
    const total = ctx.calibration!.tokens;
    batches.forEach((seqs, b) => {
      throwIfAborted(ctx.signal);
      const batch = makeBatch(seqs);
      // 'sum' here and one division at the end: every calibration token weighs the same across batches
      lossAndGrad(model, batch, { weights: nllWeights(batch, null, 'sum') }, {
        ffnMask, ffnMaskGrad, signal: ctx.signal, onProgress: (f) => ctx.onProgress?.((b + f) / batches.length),
      });
    });
    return { scores: ffnMaskGrad.map((g) => g.map((v) => Math.abs(v / total))) };
  });
}
