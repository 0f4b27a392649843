import { bf16ToF32, f32ToBf16, roundToF16 } from '../../quant/index.js';

/**
 * llama.cpp's CPU matmul does not multiply a stored weight with F32 activations: it first converts the activations
 * to the weight type's "vec_dot_type" (F16 → F16, BF16 → BF16, Q4_0/Q8_0/… → Q8_0, K-quants → Q8_K) and takes
 * integer / half dot products. To give the same log-probs, the engine rounds its activations the same way before
 * a stored-weight matmul. Returns x itself for F32 weights (nothing to do), otherwise a rounded copy.
 */
export function roundLikeLlamaCpp(type: number, x: Float32Array, m: number, cols: number): Float32Array {
  const n = m * cols;
  switch (type) {
    case 1: { const y = scratch(n); for (let i = 0; i < n; i++) y[i] = roundToF16(x[i]); return y; }
    case 30: { const y = scratch(n); for (let i = 0; i < n; i++) y[i] = bf16ToF32(f32ToBf16(x[i])); return y; }
    case 2: case 3: case 6: case 7: case 8: return q8Round(x, n, 32, 'q8_0');
    case 10: case 11: case 12: case 13: case 14: return q8Round(x, n, 256, 'q8_K');
    default: return x;
  }
}

// One buffer reused by every call: the result is consumed by the matmul right away (single-threaded JS).
let buf = new Float32Array(0);
function scratch(n: number): Float32Array {
  if (buf.length < n) buf = new Float32Array(n);
  const y = buf.subarray(0, n);
  return y;
}

const f32 = Math.fround;

/** Quantize blocks to 8 bits and back, as ggml's quantize_row_q8_0 (f16 scale) / quantize_row_q8_K (f32 scale). */
function q8Round(x: Float32Array, n: number, block: number, kind: 'q8_0' | 'q8_K'): Float32Array {
  const y = scratch(n);
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
      for (let j = 0; j < block; j++) y[b + j] = f32(Math.round(f32(x[b + j] * id)) * d);
    } else {
      const iscale = f32(-127 / max);
      const d = f32(1 / iscale);
      for (let j = 0; j < block; j++) y[b + j] = f32(Math.min(127, nearestInt(f32(iscale * x[b + j]))) * d);
    }
  }
  return y;
}

/** Round half to even, like ggml's nearest_int (the 1.5·2²³ trick) and _mm256_round_ps. */
function nearestInt(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
