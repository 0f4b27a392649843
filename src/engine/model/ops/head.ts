import type { KernelBackend } from '../../kernels/index.js';
import { linearBackward, linearForward, type Linear } from './linear.js';

/** Rows of logits computed at once: bounds the [chunk, V] buffer for big vocabularies (Phi-3: 32064). */
const CHUNK = 64;

/**
 * Output head, log-softmax and weighted NLL, one chunk of tokens at a time (the full [N, V] logits are never held).
 * xn: [N, C] final-norm output; targets: [N] next token per row (−1 = no target); weights: [N] loss weight per row
 * (null = 1). logp [N] (optional) receives log p(target) (NaN where no target).
 * Loss = −Σ_t w_t · log p_t(target_t). When dxn is given, backpropagates into dxn (+=) and W's gradient.
 */
export function headLoss(be: KernelBackend, W: Linear, xn: Float32Array, N: number, targets: Int32Array,
  weights: Float32Array | null, logp: Float32Array | null, dxn: Float32Array | null): number {
  const C = W.cols;
  const V = W.rows;
  const rows: number[] = [];
  for (let t = 0; t < N; t++) if (targets[t] >= 0) rows.push(t);
  if (logp) logp.fill(NaN);
  const xc = new Float32Array(CHUNK * C);
  const lg = new Float32Array(CHUNK * V);
  const dxc = dxn ? new Float32Array(CHUNK * C) : null;
  let loss = 0;
  for (let c0 = 0; c0 < rows.length; c0 += CHUNK) {
    const m = Math.min(CHUNK, rows.length - c0);
    for (let i = 0; i < m; i++) xc.set(xn.subarray(rows[c0 + i] * C, rows[c0 + i] * C + C), i * C);
    const x = xc.subarray(0, m * C);
    const y = lg.subarray(0, m * V);
    linearForward(be, W, x, m, y); // logits [m, V]
    for (let i = 0; i < m; i++) {
      const t = rows[c0 + i];
      const o = i * V;
      let mx = -Infinity;
      for (let j = 0; j < V; j++) if (y[o + j] > mx) mx = y[o + j];
      let sum = 0;
      for (let j = 0; j < V; j++) sum += Math.exp(y[o + j] - mx);
      const lse = mx + Math.log(sum);
      const lp = y[o + targets[t]] - lse;
      const w = weights ? weights[t] : 1;
      if (logp) logp[t] = lp;
      loss -= w * lp;
      if (dxn) {
        // dlogits = w · (softmax − onehot(target)), in place
        for (let j = 0; j < V; j++) y[o + j] = w * Math.exp(y[o + j] - lse);
        y[o + targets[t]] -= w;
      }
    }
    if (dxn) {
      const dx = dxc!.subarray(0, m * C);
      dx.fill(0);
      linearBackward(be, W, x, y, m, dx);
      for (let i = 0; i < m; i++) {
        const o = rows[c0 + i] * C;
        for (let j = 0; j < C; j++) dxn[o + j] += dx[i * C + j];
      }
    }
  }
  return loss;
}

/** Raw logits [rows.length, V] for selected rows of xn (sampling, tests). */
export function headLogits(be: KernelBackend, W: Linear, xn: Float32Array, rows: number[]): Float32Array {
  const C = W.cols;
  const x = new Float32Array(rows.length * C);
  rows.forEach((r, i) => x.set(xn.subarray(r * C, r * C + C), i * C));
  const y = new Float32Array(rows.length * W.rows);
  linearForward(be, W, x, rows.length, y);
  return y;
}
