import type { TokenBatch } from '../model/modelForward.js';

/**
 * Per-row weights for next-token NLL (objective `{ weights }` of lossAndGrad). masks[s][i] (0 or 1, or any
 * weight) says whether token i of sequence s is trained on (it is predicted by row i−1; masks[s][0] is ignored);
 * no masks = every predicted token. 'mean' divides by the number (sum) of trained tokens, 'sum' does not.
 */
export function nllWeights(batch: TokenBatch, masks?: ArrayLike<number>[] | null, reduce: 'mean' | 'sum' = 'mean'): Float32Array {
  const w = new Float32Array(batch.tokens.length);
  let total = 0;
  batch.spans.forEach((sp, s) => {
    for (let i = 1; i < sp.len; i++) {
      const m = masks ? masks[s][i] : 1;
      w[sp.start + i - 1] = m;
      total += m;
    }
  });
  if (reduce === 'mean' && total > 0) for (let i = 0; i < w.length; i++) w[i] /= total;
  return w;
}
