import type { KernelBackend } from '../../kernels/index.js';

/** One sequence inside the concatenated token batch: rows [start, start + len). Positions restart at 0. */
export interface SeqSpan { start: number; len: number }

/**
 * Query rows per block: block b attends to keys [0, end of b), so much of the masked half of QKᵀ is skipped. 256,
 * not smaller: a 256×256×D gemm is big enough for the WASM backend to share it among its threads (64-row blocks
 * ran on one thread: 2 threads, 512-token prompt, forward ~4% slower; 1 thread about the same).
 */
const QB = 256;

/**
 * Scratch for one (sequence, head): sized for the longest sequence, reused across heads and layers. Its arrays live
 * in the backend's own memory (allocF32), so the per-head gemm and softmax calls read and write them in place
 * instead of copying operands in and out of the kernels on every call.
 */
class Scratch {
  qh: Float32Array = new Float32Array(0); kh: Float32Array = new Float32Array(0); vh: Float32Array = new Float32Array(0);
  oh: Float32Array = new Float32Array(0); s: Float32Array = new Float32Array(0); dp: Float32Array = new Float32Array(0);
  dk: Float32Array = new Float32Array(0); dv: Float32Array = new Float32Array(0); dq: Float32Array = new Float32Array(0);
  constructor(private readonly be: KernelBackend) {}
  ensure(T: number, D: number): void {
    if (this.qh.length >= T * D && this.s.length >= Math.min(T, QB) * T) return;
    const td = T * D, st = Math.min(T, QB) * T, be = this.be;
    for (const a of [this.qh, this.kh, this.vh, this.oh, this.dk, this.dv, this.dq, this.s, this.dp]) be.freeF32(a);
    this.qh = be.allocF32(td); this.kh = be.allocF32(td); this.vh = be.allocF32(td);
    this.oh = be.allocF32(td); this.dk = be.allocF32(td); this.dv = be.allocF32(td);
    this.dq = be.allocF32(td);
    this.s = be.allocF32(st); this.dp = be.allocF32(st);
  }
}
// one per backend: its arrays belong to that backend's memory (and go with it when it is disposed)
const scratches = new WeakMap<KernelBackend, Scratch>();
function scratchFor(be: KernelBackend): Scratch {
  let s = scratches.get(be);
  if (!s) { s = new Scratch(be); scratches.set(be, s); }
  return s;
}

/** Copy head h's columns of rows [s0, s0+T) of x ([N, nh·D]) into dst [T, D]. */
function gather(dst: Float32Array, x: Float32Array, s0: number, T: number, nh: number, D: number, h: number): void {
  const rs = nh * D;
  if (dst.buffer === x.buffer) { // both in the kernels' memory: row copies within one buffer, no JS loop
    const all = new Float32Array(x.buffer, 0, (x.buffer.byteLength >>> 2));
    const xb = x.byteOffset >>> 2, db = dst.byteOffset >>> 2;
    for (let t = 0; t < T; t++) { const o = xb + (s0 + t) * rs + h * D; all.copyWithin(db + t * D, o, o + D); }
    return;
  }
  for (let t = 0; t < T; t++) {
    const o = (s0 + t) * rs + h * D;
    for (let d = 0; d < D; d++) dst[t * D + d] = x[o + d];
  }
}

/** Write src [T, D] into head h's columns of rows [s0, s0+T) of x ([N, nh·D]). */
function scatter(x: Float32Array, src: Float32Array, s0: number, T: number, nh: number, D: number, h: number): void {
  const rs = nh * D;
  if (src.buffer === x.buffer) {
    const all = new Float32Array(x.buffer, 0, (x.buffer.byteLength >>> 2));
    const xb = x.byteOffset >>> 2, sb = src.byteOffset >>> 2;
    for (let t = 0; t < T; t++) all.copyWithin(xb + (s0 + t) * rs + h * D, sb + t * D, sb + (t + 1) * D);
    return;
  }
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
 * Causal multi-head attention with grouped KV heads (head h reads KV head ⌊h·Hkv/H⌋).
 * q: [N, H·D], k, v: [N, Hkv·D] (after RoPE); out: [N, H·D] (overwritten). Scale 1/√D. `out` may be `q` itself
 * (forward-only runs save a buffer): each head's query columns are read before that head's output replaces them.
 */
export function attentionForward(be: KernelBackend, out: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array,
  spans: SeqSpan[], H: number, Hkv: number, D: number): void {
  const scale = 1 / Math.sqrt(D);
  const group = H / Hkv;
  if (out !== q) out.fill(0); // rows outside every span stay 0
  const scratch = scratchFor(be);
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
          be.softmax(sb, bs, r1, true); // row i keeps keys j ≤ i + r1 − bs = r0 + i
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
  const scratch = scratchFor(be);
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
          be.softmax(sb, bs, r1, true); // P (row i keeps keys j ≤ r0 + i)
          be.gemm(false, true, bs, r1, D, 1, dob, vb, 0, dpb); // dP = dO Vᵀ
          be.gemm(true, false, r1, D, bs, 1, sb, dob, 1, dvg.subarray(0, r1 * D)); // dV[0:r1] += Pᵀ dO
          // dS = P ⊙ (dP − rowsum(P ⊙ dP)) on the kernels (P is 0 past the causal limit, so is dS there); the
          // 1/√D of S = QKᵀ/√D goes into the next two products
          be.softmaxBackward(sb, dpb, bs, r1);
          be.gemm(false, false, bs, D, r1, scale, dpb, kb, 0, dqh.subarray(r0 * D, r1 * D)); // dQ = dS K / √D
          be.gemm(true, false, r1, D, bs, scale, dpb, qb, 1, dkg.subarray(0, r1 * D)); // dK[0:r1] += dSᵀ Q / √D
        }
        scatterAdd(dq, dqh, start, T, H, D, h);
      }
      scatterAdd(dk, dkg, start, T, Hkv, D, g);
      scatterAdd(dv, dvg, start, T, Hkv, D, g);
    }
  }
}
