import { throwIfAborted } from '../errors.js';
import { batchLogprobs, makeBatch, type EngineModel } from '../model/index.js';
import { topNeuronSimilarity } from './neuronSimilarity.js';
import type { NeuronScores, ScoreContext } from './scoreTypes.js';
import { calibrationBatches } from './withEngineModel.js';

/** Per-layer statistics of the FFN hidden activations h = silu(gate)·up over the calibration tokens. */
export interface FfnActivationStats {
  /** calibration tokens seen */
  count: number;
  /** Σ_t h[t, i], [F] per layer */
  sum: Float64Array[];
  /** Σ_t h[t, i]², [F] per layer */
  sumSq: Float64Array[];
  /** with `sampleRows`: the first rows of h, [rows, F] per layer (for similarities between neurons) */
  samples?: Float32Array[];
  sampleRows: number;
}

/**
 * Runs the model forward over the calibration text and accumulates each layer's activation sums (and, when asked,
 * keeps the first `sampleRows` rows of h per layer: rows·F floats each).
 */
export function ffnActivationStats(model: EngineModel, ctx: ScoreContext, opts: { sampleRows?: number } = {}): FfnActivationStats {
  const L = model.layers.length, F = model.nFf;
  const want = opts.sampleRows ?? 0;
  const total = Math.min(want, ctx.calibration?.tokens ?? 0);
  const stats: FfnActivationStats = {
    count: 0,
    sum: Array.from({ length: L }, () => new Float64Array(F)),
    sumSq: Array.from({ length: L }, () => new Float64Array(F)),
    samples: want > 0 ? Array.from({ length: L }, () => new Float32Array(total * F)) : undefined,
    sampleRows: total,
  };
  const batches = calibrationBatches(ctx);
  batches.forEach((seqs, b) => {
    throwIfAborted(ctx.signal);
    const batch = makeBatch(seqs);
    const N = batch.tokens.length;
    const have = stats.count;
    batchLogprobs(model, batch, {
      signal: ctx.signal,
      captureFfn: (l, h) => {
        const s = stats.sum[l], q = stats.sumSq[l];
        for (let t = 0; t < N; t++) {
          const o = t * F;
          for (let i = 0; i < F; i++) { const v = h[o + i]; s[i] += v; q[i] += v * v; }
        }
        const take = Math.min(N, total - have);
        if (take > 0) stats.samples![l].set(h.subarray(0, take * F), have * F);
      },
      onProgress: (f) => ctx.onProgress?.((b + f) / batches.length),
    });
    stats.count += N;
  });
  return stats;
}

/**
 * Calibration rows kept per layer for the similarity summary when a method needs no more ([rows, F] floats each:
 * 64 × 8192 × 32 layers is 64 MiB for Phi-3-mini).
 */
export const SIMILARITY_ROWS = 64;

/** The similarity summary of each layer's top-scored neurons (topNeuronSimilarity) from the sampled rows. */
export function similarityOf(stats: FfnActivationStats, scores: Float32Array[]): NeuronScores['similarity'] {
  if (!stats.samples || stats.sampleRows === 0) return undefined;
  const rows = stats.sampleRows;
  return { rows, layers: scores.map((s, l) => topNeuronSimilarity(stats.samples![l], rows, stats.samples![l].length / rows, s)) };
}
