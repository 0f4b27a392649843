import type { NeuronScoresRecord } from '../../engine/prune/neuronScoresFile.js';
import type { PruneLayerScores, PrunePanelMethod, PruneScoresView } from '../../protocol/webviewPrune.js';

/** Bins of each layer's histogram: enough to see the shape, few enough for a small chart per layer. */
export const SCORE_BINS = 40;

/** sorted[min(n − 1, round(p·n))] for p = 0, 1/steps, …, 1: the lowest value kept when the share p is removed. */
function cutPoints(sorted: Float32Array, steps: number): number[] {
  const n = sorted.length;
  return Array.from({ length: steps + 1 }, (_, i) => sorted[Math.min(n - 1, Math.round((i / steps) * n))]!);
}

function layerScores(scores: Float32Array, layer: number, bins: number): PruneLayerScores {
  const sorted = Float32Array.from(scores).sort();
  const min = sorted[0] ?? 0, max = sorted[sorted.length - 1] ?? 0;
  const counts = new Array<number>(bins).fill(0);
  const span = max - min;
  for (const v of scores) counts[span > 0 ? Math.min(bins - 1, Math.floor(((v - min) / span) * bins)) : 0]++;
  return { layer, width: scores.length, min, max, bins: counts, quantiles: cutPoints(sorted, 100) };
}

/**
 * What the Prune panel draws from a scores file: per layer a histogram and the percentile cuts (the uniform
 * allocation's cut line at any slider position), the per-mille cuts over all layers (the global allocation's), and
 * the similarity matrices as plain arrays. A file's hundreds of thousands of scores become a few kilobytes.
 */
export function neuronScoresView(r: NeuronScoresRecord, meta: { jobId: string; source: 'prune' | 'score'; modelName: string }, bins = SCORE_BINS): PruneScoresView {
  const all = new Float32Array(r.scores.reduce((n, s) => n + s.length, 0));
  let o = 0;
  for (const s of r.scores) { all.set(s, o); o += s.length; }
  return {
    ...meta,
    method: r.method as PrunePanelMethod,
    layers: r.scores.map((s, l) => layerScores(s, l, bins)),
    globalQuantiles: cutPoints(all.sort(), 1000),
    similarity: r.similarity ? {
      rows: r.similarity.rows,
      layers: r.similarity.layers.map((x, layer) => ({ layer, neurons: Array.from(x.neurons), cosine: Array.from(x.cosine) })),
    } : null,
  };
}
