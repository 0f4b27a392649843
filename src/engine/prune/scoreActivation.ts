import { ffnActivationStats, similarityOf, SIMILARITY_ROWS } from './ffnActivationStats.js';
import type { NeuronScores, ScoreContext } from './scoreTypes.js';
import { downColumnSquaredNorms, withSource } from './weightNorms.js';
import { withEngineModel } from './withEngineModel.js';

/**
 * Wanda-sp (activation-aware): sqrt(mean_t h_i²) · ||W_down[:, i]||₂ — how large neuron i's contribution to the
 * FFN output is on the calibration text.
 */
export async function scoreActivation(ctx: ScoreContext): Promise<NeuronScores> {
  const stats = await withEngineModel(ctx, (model) => ffnActivationStats(model, { ...ctx, onProgress: (f) => ctx.onProgress?.(0.9 * f) }, { sampleRows: SIMILARITY_ROWS }));
  const col = await withSource(ctx.file, async (src) => {
    const out: Float32Array[] = [];
    for (const l of ctx.layers) out.push(await downColumnSquaredNorms(src, l));
    return out;
  }, ctx.signal);
  ctx.onProgress?.(1);
  const scores = col.map((c, l) => c.map((v, i) => Math.sqrt(stats.sumSq[l][i] / stats.count) * Math.sqrt(v)));
  return { scores, similarity: similarityOf(stats, scores) };
}
