import { roundToF16 } from '../quant/index.js';

/**
 * llama.cpp's CPU matmul does not multiply a stored weight with F32 activations: it first converts the activations
 * to the weight type's "vec_dot_type" (F16 → F16, BF16 → BF16, Q4_0/Q8_0/… → Q8_0, K-quants → Q8_K) and takes
 * integer / half dot products. To give the same log-probs, the engine rounds its activations the same way before
 * a stored-weight matmul. Returns x itself for F32 weights, otherwise the rounded values in a buffer that the next
 * call reuses (consume it at once). `sameAsLast`: x holds the same values as in the previous call (q/k/v and
 * gate/up read one input), so the last result is returned without recomputing.
 */
export function roundLikeLlamaCpp(type: number, x: Float32Array, m: number, cols: number, sameAsLast = false): Float32Array {
  const n = m * cols;
  const kind = KIND[type];
  if (!kind) return x;
  if (sameAsLast && last.x === x && last.kind === kind && last.n === n) return buf.subarray(0, n);
  if (buf.length < n) { buf = new Float32Array(n); bits = new Uint32Array(buf.buffer); }
  const y = buf.subarray(0, n);
  if (kind === 'f16') f16Round(x, n);
  else if (kind === 'bf16') bf16Round(x, n);
  else q8Round(x, y, n, kind === 'q8_0' ? 32 : 256, kind);
  last = { x, kind, n };
  return y;
}

const KIND: Record<number, 'f16' | 'bf16' | 'q8_0' | 'q8_K' | undefined> = {
  1: 'f16', 30: 'bf16', 2: 'q8_0', 3: 'q8_0', 6: 'q8_0', 7: 'q8_0', 8: 'q8_0', 10: 'q8_K', 11: 'q8_K', 12: 'q8_K', 13: 'q8_K', 14: 'q8_K',
};

// One buffer (and its bit view) reused by every call: the result is consumed by the matmul right away.
let buf = new Float32Array(0);
let bits = new Uint32Array(0);
let last: { x: Float32Array | null; kind: string; n: number } = { x: null, kind: '', n: 0 };

/** Round to nearest-even f16 in the f32 bit pattern (normal f16 range); tiny and huge values take the slow path. */
function f16Round(x: Float32Array, n: number): void {
  buf.set(x.subarray(0, n));
  for (let i = 0; i < n; i++) {
    const b = bits[i];
    const e = (b >>> 23) & 0xff;
    if (e >= 113 && e <= 141) bits[i] = (b + 0xfff + ((b >>> 13) & 1)) & 0xffffe000; // 2^-14 ≤ |v| < 2^15
    else buf[i] = roundToF16(buf[i]);
  }
}

/** Round to nearest-even bf16 (keep the top 16 bits); NaN stays NaN. */
function bf16Round(x: Float32Array, n: number): void {
  buf.set(x.subarray(0, n));
  for (let i = 0; i < n; i++) {
    const b = bits[i];
    if ((b & 0x7fffffff) > 0x7f800000) continue;
    bits[i] = (b + 0x7fff + ((b >>> 16) & 1)) & 0xffff0000;
  }
}

const f32 = Math.fround;
const MAGIC = 12582912; // 1.5·2^23: adding it rounds an f32 to an integer, half to even (ggml's nearest_int)

/** Quantize blocks to 8 bits and back, as ggml's quantize_row_q8_0 (f16 scale) / quantize_row_q8_K (f32 scale). */
function q8Round(x: Float32Array, y: Float32Array, n: number, block: number, kind: 'q8_0' | 'q8_K'): void {
  for (let b = 0; b < n; b += block) {
    let amax = 0, max = 0;
    for (let j = 0; j < block; j++) {
      const v = x[b + j], a = Math.abs(v);
      if (a > amax) { amax = a; max = v; }
    }
    if (amax === 0) { y.fill(0, b, b + block); continue; }
    if (kind === 'q8_0') {
      const d = roundToF16(f32(amax / 127));
      const id = f32(127 / amax);
      for (let j = 0; j < block; j++) y[b + j] = (f32(f32(x[b + j] * id) + MAGIC) - MAGIC) * d;
    } else {
      const iscale = f32(-127 / max);
      const d = f32(1 / iscale);
      for (let j = 0; j < block; j++) y[b + j] = Math.min(127, f32(f32(iscale * x[b + j]) + MAGIC) - MAGIC) * d;
    }
  }
}
