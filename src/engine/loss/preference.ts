import type { TokenBatch } from '../model/modelForward.js';

/** Log-prob sums of a preference pair under the policy and the (frozen) reference. */
export interface PairLogps { chosen: number; rejected: number; refChosen: number; refRejected: number }

/** Loss and its derivatives w.r.t. the policy's chosen and rejected sequence log-prob sums. */
export interface PairLoss { loss: number; dChosen: number; dRejected: number; margin: number }

/** DPO: −log σ(β·[(πc − rc) − (πr − rr)]). `margin` is the implicit reward margin β·[…]. */
export function dpoLoss(p: PairLogps, beta: number): PairLoss {
  const z = beta * (p.chosen - p.refChosen - (p.rejected - p.refRejected));
  // −log σ(z) = softplus(−z), stable for large |z|
  const loss = z > 0 ? Math.log1p(Math.exp(-z)) : -z + Math.log1p(Math.exp(z));
  const s = 1 / (1 + Math.exp(z)); // σ(−z)
  return { loss, dChosen: -beta * s, dRejected: beta * s, margin: z };
}

/** IPO (Azar et al.): (h − 1/(2β))² with h = (πc − rc) − (πr − rr). */
export function ipoLoss(p: PairLogps, beta: number): PairLoss {
  const h = p.chosen - p.refChosen - (p.rejected - p.refRejected);
  const e = h - 1 / (2 * beta);
  return { loss: e * e, dChosen: 2 * e, dRejected: -2 * e, margin: h };
}

/**
 * Sum of log p over each sequence's trained tokens. logp: [N] per row (row i−1 predicts token i);
 * masks[s][i] weights token i (default all tokens after the first).
 */
export function sequenceLogprobSums(batch: TokenBatch, logp: Float32Array, masks?: ArrayLike<number>[] | null): number[] {
  return batch.spans.map((sp, s) => {
    let sum = 0;
    for (let i = 1; i < sp.len; i++) {
      const m = masks ? masks[s][i] : 1;
      if (m) sum += m * logp[sp.start + i - 1];
    }
    return sum;
  });
}

export interface PreferencePair {
  /** Index of the chosen and rejected sequences in the batch. */
  chosen: number;
  rejected: number;
  /** Reference log-prob sums (the same model with the adapter off, computed once and cached). */
  refChosen: number;
  refRejected: number;
}

/**
 * Objective for lossAndGrad: mean DPO or IPO loss over pairs of sequences in one batch, with per-token masks
 * (usually: 1 on the response tokens, 0 on the prompt).
 */
export function preferenceObjective(batch: TokenBatch, pairs: PreferencePair[], o: {
  kind: 'dpo' | 'ipo'; beta: number; masks?: ArrayLike<number>[] | null; onPair?: (i: number, r: PairLoss) => void;
}): { fn: (logp: Float32Array) => { loss: number; dlogp: Float32Array } } {
  return {
    fn: (logp) => {
      const sums = sequenceLogprobSums(batch, logp, o.masks);
      const dSeq = new Float64Array(batch.spans.length);
      let loss = 0;
      pairs.forEach((p, i) => {
        const lp = { chosen: sums[p.chosen], rejected: sums[p.rejected], refChosen: p.refChosen, refRejected: p.refRejected };
        const r = o.kind === 'dpo' ? dpoLoss(lp, o.beta) : ipoLoss(lp, o.beta);
        o.onPair?.(i, r);
        loss += r.loss / pairs.length;
        dSeq[p.chosen] += r.dChosen / pairs.length;
        dSeq[p.rejected] += r.dRejected / pairs.length;
      });
      const dlogp = new Float32Array(logp.length);
      batch.spans.forEach((sp, s) => {
        for (let i = 1; i < sp.len; i++) dlogp[sp.start + i - 1] = dSeq[s] * (o.masks ? o.masks[s][i] : 1);
      });
      return { loss, dlogp };
    },
  };
}
