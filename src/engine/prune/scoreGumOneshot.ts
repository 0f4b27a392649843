import { throwIfAborted } from '../errors.js';
import { ffnActivationStats, similarityOf } from './ffnActivationStats.js';
import { greedyUniqueScores } from './greedyUniqueScores.js';
import type { NeuronScores, ScoreContext } from './scoreTypes.js';
import { downColumnSquaredNorms, withSource } from './weightNorms.js';
import { withEngineModel } from './withEngineModel.js';

/** Calibration rows kept per layer for the neuron similarities ([rows, F] floats each). */
const SAMPLE_ROWS = 256;

/**
 * One-shot GUM: importance is the activation score (sqrt(mean h_i²) · ||W_down[:, i]||₂); neurons are then picked
 * greedily, each discounted by its largest |cosine| (over calibration activations) with a neuron already kept, so a
 * near-duplicate of a kept neuron loses to a less important but distinct one. One forward pass, no training.
 */
export async function scoreGumOneshot(ctx: ScoreContext): Promise<NeuronScores> {
  const col = await withSource(ctx.file, async (src) => {
    const out: Float32Array[] = [];
    for (const l of ctx.layers) out.push(await downColumnSquaredNorms(src, l));
    return out;
  }, ctx.signal);
  return withEngineModel(ctx, (model) => {
    const F = model.nFf;
    const stats = ffnActivationStats(model, { ...ctx, onProgress: (f) => ctx.onProgress?.(0.5 * f) }, { sampleRows: SAMPLE_ROWS });
    const T = stats.sampleRows;
    const gram = new Float32Array(F * F);
    const scores = col.map((c, l) => {
      throwIfAborted(ctx.signal);
      const base = c.map((v, i) => Math.sqrt(stats.sumSq[l][i] / stats.count) * Math.sqrt(v));
      // gram [F, F] = hᵀ·h over the sampled rows (h [T, F])
      model.backend.gemm(true, false, F, F, T, 1, stats.samples![l], stats.samples![l], 0, gram);
      const s = greedyUniqueScores(base, gram, F);
      ctx.onProgress?.(0.5 + 0.5 * (l + 1) / col.length);
      return s;
    });
    return { scores, similarity: similarityOf(stats, scores) };
  });
}
