import type { KernelBackend } from '../../kernels/index.js';

/** One sequence inside the concatenated token batch: rows [start, start + len). Positions restart at 0. */
export interface SeqSpan { start: number; len: number }

/** Query rows per block: block b attends to keys [0, end of b), so the masked half of QKᵀ is mostly skipped. */
const QB = 64;

/** Scratch for one (sequence, head): sized for the longest sequence, reused across heads and layers. */
class Scratch {
  qh = new Float32Array(0); kh = new Float32Array(0); vh = new Float32Array(0); oh = new Float32Array(0);
  s = new Float32Array(0); dp = new Float32Array(0); dk = new Float32Array(0); dv = new Float32Array(0);
  dq = new Float32Array(0);
  ensure(T: number, D: number): void {
    if (this.qh.length >= T * D && this.s.length >= Math.min(T, QB) * T) return;
    const td = T * D;
    this.qh = new Float32Array(td); this.kh = new Float32Array(td); this.vh = new Float32Array(td);
    this.oh = new Float32Array(td); this.dk = new Float32Array(td); this.dv = new Float32Array(td);
    this.dq = new Float32Array(td);
    this.s = new Float32Array(Math.min(T, QB) * T); this.dp = new Float32Array(Math.min(T, QB) * T);
  }
}
const scratch = new Scratch();

/** Copy head h's columns of rows [s0, s0+T) of x ([N, nh·D]) into dst [T, D]. */
function gather(dst: Float32Array, x: Float32Array, s0: number, T: number, nh: number, D: number, h: number): void {
  const rs = nh * D;
  for (let t = 0; t < T; t++) {
    const o = (s0 + t) * rs + h * D;
    for (let d = 0; d < D; d++) dst[t * D + d] = x[o + d];
  }
}

/** Write src [T, D] into head h's columns of rows [s0, s0+T) of x ([N, nh·D]). */
function scatter(x: Float32Array, src: Float32Array, s0: number, T: number, nh: number, D: number, h: number): void {
  const rs = nh * D;
  for (let t = 0; t < T; t++) x.set(src.subarray(t * D, (t + 1) * D), (s0 + t) * rs + h * D);
}

function scatterAdd(x: Float32Array, src: Float32Array, s0: number, T: number, nh: number, D: number, h: number): void {
  const rs = nh * D;
  for (let t = 0; t < T; t++) {
    const o = (s0 + t) * rs + h * D;
    for (let d = 0; d < D; d++) x[o + d] += src[t * D + d];
  }
}

/**
 * In-place causal softmax of a block of score rows S [rows, cols]: row i is query r0 + i and keeps columns
 * 0…r0+i; the rest become 0.
 */
function causalSoftmax(s: Float32Array, rows: number, cols: number, r0: number): void {
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    const last = r0 + i;
    let mx = -Infinity;
    for (let j = 0; j <= last; j++) if (s[o + j] > mx) mx = s[o + j];
    let sum = 0;
    for (let j = 0; j <= last; j++) { const e = Math.exp(s[o + j] - mx); s[o + j] = e; sum += e; }
    const inv = 1 / sum;
    for (let j = 0; j <= last; j++) s[o + j] *= inv;
    for (let j = last + 1; j < cols; j++) s[o + j] = 0;
  }
}

/**
 * Causal multi-head attention with grouped KV heads (head h reads KV head ⌊h·Hkv/H⌋).
 * q: [N, H·D], k, v: [N, Hkv·D] (after RoPE); out: [N, H·D] (overwritten). Scale 1/√D. `out` may be `q` itself
 * (forward-only runs save a buffer): each head's query columns are read before that head's output replaces them.
 */
export function attentionForward(be: KernelBackend, out: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array,
  spans: SeqSpan[], H: number, Hkv: number, D: number): void {
  const scale = 1 / Math.sqrt(D);
  const group = H / Hkv;
  if (out !== q) out.fill(0); // rows outside every span stay 0
  for (const { start, len: T } of spans) {
    scratch.ensure(T, D);
    const qh = scratch.qh.subarray(0, T * D), kh = scratch.kh.subarray(0, T * D), vh = scratch.vh.subarray(0, T * D);
    const oh = scratch.oh.subarray(0, T * D), s = scratch.s;
    for (let g = 0; g < Hkv; g++) {
      gather(kh, k, start, T, Hkv, D, g);
      gather(vh, v, start, T, Hkv, D, g);
      for (let h = g * group; h < (g + 1) * group; h++) {
        gather(qh, q, start, T, H, D, h);
        for (let r0 = 0; r0 < T; r0 += QB) {
          const r1 = Math.min(T, r0 + QB), bs = r1 - r0;
          const sb = s.subarray(0, bs * r1);
          // S[bs, r1] = Q[r0:r1] K[0:r1]ᵀ / √D; O[r0:r1] = P V[0:r1]
          be.gemm(false, true, bs, r1, D, scale, qh.subarray(r0 * D, r1 * D), kh.subarray(0, r1 * D), 0, sb);
          causalSoftmax(sb, bs, r1, r0);
          be.gemm(false, false, bs, D, r1, 1, sb, vh.subarray(0, r1 * D), 0, oh.subarray(r0 * D, r1 * D));
        }
        scatter(out, oh, start, T, H, D, h);
      }
    }
  }
}

/**
 * Backward of attentionForward. Recomputes P from q and k (nothing but q, k, v is kept from the forward).
 * dout: [N, H·D]; dq: [N, H·D], dk, dv: [N, Hkv·D] accumulate (+=).
 */
export function attentionBackward(be: KernelBackend, dq: Float32Array, dk: Float32Array, dv: Float32Array, dout: Float32Array,
  q: Float32Array, k: Float32Array, v: Float32Array, spans: SeqSpan[], H: number, Hkv: number, D: number): void {
  const scale = 1 / Math.sqrt(D);
  const group = H / Hkv;
  for (const { start, len: T } of spans) {
    scratch.ensure(T, D);
    const td = T * D;
    const qh = scratch.qh.subarray(0, td), kh = scratch.kh.subarray(0, td), vh = scratch.vh.subarray(0, td);
    const doh = scratch.oh.subarray(0, td), s = scratch.s, dp = scratch.dp;
    const dkg = scratch.dk.subarray(0, td), dvg = scratch.dv.subarray(0, td), dqh = scratch.dq.subarray(0, td);
    for (let g = 0; g < Hkv; g++) {
      gather(kh, k, start, T, Hkv, D, g);
      gather(vh, v, start, T, Hkv, D, g);
      dkg.fill(0);
      dvg.fill(0);
      for (let h = g * group; h < (g + 1) * group; h++) {
        gather(qh, q, start, T, H, D, h);
        gather(doh, dout, start, T, H, D, h);
        for (let r0 = 0; r0 < T; r0 += QB) {
          const r1 = Math.min(T, r0 + QB), bs = r1 - r0;
          const sb = s.subarray(0, bs * r1), dpb = dp.subarray(0, bs * r1);
          const qb = qh.subarray(r0 * D, r1 * D), dob = doh.subarray(r0 * D, r1 * D);
          const kb = kh.subarray(0, r1 * D), vb = vh.subarray(0, r1 * D);
          be.gemm(false, true, bs, r1, D, scale, qb, kb, 0, sb);
          causalSoftmax(sb, bs, r1, r0); // P
          be.gemm(false, true, bs, r1, D, 1, dob, vb, 0, dpb); // dP = dO Vᵀ
          be.gemm(true, false, r1, D, bs, 1, sb, dob, 1, dvg.subarray(0, r1 * D)); // dV[0:r1] += Pᵀ dO
          // dS = P ⊙ (dP − rowsum(P ⊙ dP)) · scale, causal part only
          for (let i = 0; i < bs; i++) {
            const o = i * r1, last = r0 + i;
            let dot = 0;
            for (let j = 0; j <= last; j++) dot += sb[o + j] * dpb[o + j];
            for (let j = 0; j <= last; j++) dpb[o + j] = sb[o + j] * (dpb[o + j] - dot) * scale;
            for (let j = last + 1; j < r1; j++) dpb[o + j] = 0;
          }
          be.gemm(false, false, bs, D, r1, 1, dpb, kb, 0, dqh.subarray(r0 * D, r1 * D)); // dQ = dS K
          be.gemm(true, false, r1, D, bs, 1, dpb, qb, 1, dkg.subarray(0, r1 * D)); // dK[0:r1] += dSᵀ Q
        }
        scatterAdd(dq, dqh, start, T, H, D, h);
      }
      scatterAdd(dk, dkg, start, T, Hkv, D, g);
      scatterAdd(dv, dvg, start, T, Hkv, D, g);
    }
  }
}
