import { ffnActivationStats, similarityOf, SIMILARITY_ROWS } from './ffnActivationStats.js';
import type { NeuronScores, ScoreContext } from './scoreTypes.js';
import { downColumnSquaredNorms, withSource } from './weightNorms.js';
import { withEngineModel } from './withEngineModel.js';

/**
 * FLAP: the fluctuation of neuron i, var_t(h_i) · ||W_down[:, i]||₂², standardized per layer ((s − mean) / std
 * over the layer's neurons) so that a global ranking compares layers on one scale and the widths adapt per layer.
 * Also returns each neuron's mean activation: what a removed neuron contributed on average, which the writer folds
 * into an FFN down bias where the written architecture loads one.
 */
export async function scoreFlap(ctx: ScoreContext): Promise<NeuronScores> {
  const stats = await withEngineModel(ctx, (model) => ffnActivationStats(model, { ...ctx, onProgress: (f) => ctx.onProgress?.(0.9 * f) }, { sampleRows: SIMILARITY_ROWS }));
  const col = await withSource(ctx.file, async (src) => {
    const out: Float32Array[] = [];
    for (const l of ctx.layers) out.push(await downColumnSquaredNorms(src, l));
    return out;
  }, ctx.signal);
  const n = stats.count;
  const meanActivation = stats.sum.map((s) => Float32Array.from(s, (v) => v / n));
  const scores = col.map((c, l) => standardize(Float64Array.from(c, (v, i) => {
    const mean = stats.sum[l][i] / n;
    return Math.max(0, stats.sumSq[l][i] / n - mean * mean) * v;
  })));
  ctx.onProgress?.(1);
  return { scores, meanActivation, similarity: similarityOf(stats, scores) };
}

/** (x − mean) / std over the array (std 0: all zeros). */
export function standardize(x: Float64Array): Float32Array {
  const n = x.length;
  let mean = 0;
  for (const v of x) mean += v;
  mean /= n;
  let varSum = 0;
  for (const v of x) varSum += (v - mean) ** 2;
  const std = Math.sqrt(varSum / n);
  return Float32Array.from(x, (v) => (std > 0 ? (v - mean) / std : 0));
}
