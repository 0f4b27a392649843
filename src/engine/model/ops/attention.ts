import type { KernelBackend } from '../../kernels/index.js';

/** One sequence inside the concatenated token batch: rows [start, start + len). Positions restart at 0. */
export interface SeqSpan { start: number; len: number }

/** Scratch for one (sequence, head): sized for the longest sequence, reused across heads and layers. */
class Scratch {
  qh = new Float32Array(0); kh = new Float32Array(0); vh = new Float32Array(0); oh = new Float32Array(0);
  s = new Float32Array(0); dp = new Float32Array(0); dk = new Float32Array(0); dv = new Float32Array(0);
  ensure(T: number, D: number): void {
    if (this.qh.length >= T * D && this.s.length >= T * T) return;
    const td = T * D;
    this.qh = new Float32Array(td); this.kh = new Float32Array(td); this.vh = new Float32Array(td);
    this.oh = new Float32Array(td); this.dk = new Float32Array(td); this.dv = new Float32Array(td);
    this.s = new Float32Array(T * T); this.dp = new Float32Array(T * T);
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

function scatterAdd(x: Float32Array, src: Float32Array, s0: number, T: number, nh: number, D: number, h: number): void {
  const rs = nh * D;
  for (let t = 0; t < T; t++) {
    const o = (s0 + t) * rs + h * D;
    for (let d = 0; d < D; d++) x[o + d] += src[t * D + d];
  }
}

/** In-place causal softmax of S [T, T] (row i keeps columns 0…i, the rest become 0). */
function causalSoftmax(s: Float32Array, T: number): void {
  for (let i = 0; i < T; i++) {
    const o = i * T;
    let mx = -Infinity;
    for (let j = 0; j <= i; j++) if (s[o + j] > mx) mx = s[o + j];
    let sum = 0;
    for (let j = 0; j <= i; j++) { const e = Math.exp(s[o + j] - mx); s[o + j] = e; sum += e; }
    const inv = 1 / sum;
    for (let j = 0; j <= i; j++) s[o + j] *= inv;
    for (let j = i + 1; j < T; j++) s[o + j] = 0;
  }
}

/**
 * Causal multi-head attention with grouped KV heads (head h reads KV head ⌊h·Hkv/H⌋).
 * q: [N, H·D], k, v: [N, Hkv·D] (after RoPE); out: [N, H·D] (overwritten). Scale 1/√D.
 */
export function attentionForward(be: KernelBackend, out: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array,
  spans: SeqSpan[], H: number, Hkv: number, D: number): void {
  const scale = 1 / Math.sqrt(D);
  const group = H / Hkv;
  out.fill(0);
  for (const { start, len: T } of spans) {
    scratch.ensure(T, D);
    const qh = scratch.qh.subarray(0, T * D), kh = scratch.kh.subarray(0, T * D), vh = scratch.vh.subarray(0, T * D);
    const oh = scratch.oh.subarray(0, T * D), s = scratch.s.subarray(0, T * T);
    for (let g = 0; g < Hkv; g++) {
      gather(kh, k, start, T, Hkv, D, g);
      gather(vh, v, start, T, Hkv, D, g);
      for (let h = g * group; h < (g + 1) * group; h++) {
        gather(qh, q, start, T, H, D, h);
        be.gemm(false, true, T, T, D, scale, qh, kh, 0, s); // S[T,T] = Qh Khᵀ / √D
        causalSoftmax(s, T);
        be.gemm(false, false, T, D, T, 1, s, vh, 0, oh); // Oh[T,D] = P Vh
        scatterAdd(out, oh, start, T, H, D, h);
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
    const doh = scratch.oh.subarray(0, td), s = scratch.s.subarray(0, T * T), dp = scratch.dp.subarray(0, T * T);
    const dkg = scratch.dk.subarray(0, td), dvg = scratch.dv.subarray(0, td);
    for (let g = 0; g < Hkv; g++) {
      gather(kh, k, start, T, Hkv, D, g);
      gather(vh, v, start, T, Hkv, D, g);
      dkg.fill(0);
      dvg.fill(0);
      for (let h = g * group; h < (g + 1) * group; h++) {
        gather(qh, q, start, T, H, D, h);
        gather(doh, dout, start, T, H, D, h);
        be.gemm(false, true, T, T, D, scale, qh, kh, 0, s);
        causalSoftmax(s, T); // P
        be.gemm(false, true, T, T, D, 1, doh, vh, 0, dp); // dP = dOh Vhᵀ
        be.gemm(true, false, T, D, T, 1, s, doh, 1, dvg); // dVh += Pᵀ dOh
        // dS = P ⊙ (dP − rowsum(P ⊙ dP)) · scale, causal part only
        for (let i = 0; i < T; i++) {
          const o = i * T;
          let dot = 0;
          for (let j = 0; j <= i; j++) dot += s[o + j] * dp[o + j];
          for (let j = 0; j <= i; j++) dp[o + j] = s[o + j] * (dp[o + j] - dot) * scale;
          for (let j = i + 1; j < T; j++) dp[o + j] = 0;
        }
        be.gemm(false, false, T, D, T, 1, dp, kh, 0, doh); // dQh = dS Kh (reuses doh)
        scatterAdd(dq, doh, start, T, H, D, h);
        be.gemm(true, false, T, D, T, 1, dp, qh, 1, dkg); // dKh += dSᵀ Qh
      }
      scatterAdd(dk, dkg, start, T, Hkv, D, g);
      scatterAdd(dv, dvg, start, T, Hkv, D, g);
    }
  }
}
