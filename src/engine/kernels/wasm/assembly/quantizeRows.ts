// Activations quantized to 8 bits the way llama.cpp's CPU matmul converts them before its integer dot products
// (the "vec_dot_type" of the weight): Q8_0 for Q4_0/Q8_0 weights — 32-value blocks, scale amax/127 rounded to
// f16 — and Q8_K for K-quants — 256-value blocks, f32 scale −max/127 from the signed value of largest magnitude.
// The same rounding as src/engine/kernels/llamaCppRounding.ts (the reference backend's), value for value.
//
// One quantized row (rowStride bytes, see qRowStride): K signed values — 16-bit where the integer dot is
// i32x4.dot_i16x8_s (plain SIMD), 8-bit where it is the relaxed-SIMD i8 dot (kernels-relaxed.wasm) — then K/B f32
// block scales, then K/16 i32 sums of the values of each 16-group (K-quant mins and unsigned-weight offsets).

export const KIND_Q8_0: i32 = 0;
export const KIND_Q8_K: i32 = 1;

const CHUNK_ROWS: i32 = 8;

/** Values per block of a quantization kind. */
// @ts-ignore: decorator
@inline export function kindBlock(kind: i32): i32 {
  return kind == KIND_Q8_0 ? 32 : 256;
}

/** log2 of the bytes per quantized value: 8-bit values for the relaxed i8 dot, 16-bit for dot_i16x8_s. */
export const XV_SHIFT: i32 = ASC_FEATURE_RELAXED_SIMD ? 0 : 1;

/** Bytes of one quantized row of K values (a multiple of 16). */
export function qRowStride(K: i32, kind: i32): i32 {
  return ((K << XV_SHIFT) + 4 * (K / kindBlock(kind)) + 4 * (K / 16) + 15) & ~15;
}

/** Nearest-even f16 value of a finite v ≥ 0, as f32 (the scale llama.cpp stores in a Q8_0 block). */
function roundF16(v: f32): f32 {
  const b = reinterpret<u32>(v);
  const e = (b >>> 23) & 0xff;
  if (e < 113) return f32.nearest(v * 16777216.0) * (1.0 / 16777216.0); // f16 subnormals: steps of 2^-24
  if (e > 142) return Infinity;
  const r = reinterpret<f32>((b + 0xfff + ((b >>> 13) & 1)) & 0xffffe000);
  return r > 65504 ? Infinity : r;
}

/** max |x| over n floats (n a multiple of 16). */
// @ts-ignore: decorator
@inline function absMax(x: usize, n: i32): f32 {
  let m0 = f32x4.splat(0), m1 = f32x4.splat(0);
  for (let i = 0; i < n; i += 8) {
    const o = <usize>i << 2;
    m0 = f32x4.max(m0, f32x4.abs(v128.load(x + o)));
    m1 = f32x4.max(m1, f32x4.abs(v128.load(x + o, 16)));
  }
  m0 = f32x4.max(m0, m1);
  return max(max(f32x4.extract_lane(m0, 0), f32x4.extract_lane(m0, 1)), max(f32x4.extract_lane(m0, 2), f32x4.extract_lane(m0, 3)));
}

/** 8 floats × s, rounded half to even, capped at `hi`, as 8 i16 lanes. */
// @ts-ignore: decorator
@inline function q8(x: usize, s: v128, hi: v128): v128 {
  const a = i32x4.trunc_sat_f32x4_s(f32x4.min(f32x4.nearest(f32x4.mul(v128.load(x), s)), hi));
  const b = i32x4.trunc_sat_f32x4_s(f32x4.min(f32x4.nearest(f32x4.mul(v128.load(x, 16), s)), hi));
  return i16x8.narrow_i32x4_s(a, b);
}

/** Quantizes one row of K floats at x into the row layout above at q. */
function quantizeRow(x: usize, K: i32, kind: i32, q: usize): void {
  const B = kindBlock(kind);
  const scales = q + (<usize>K << XV_SHIFT);
  const sums = scales + (<usize>(K / B) << 2);
  const cap = f32x4.splat(127);
  const big = f32x4.splat(1e30);
  for (let b = 0; b < K / B; b++) {
    const xb = x + (<usize>(b * B) << 2);
    const qb = q + (<usize>(b * B) << XV_SHIFT);
    const amax = absMax(xb, B);
    let s: f32 = 0;
    let d: f32 = 0;
    if (amax != 0) {
      if (kind == KIND_Q8_0) {
        d = roundF16(amax / 127);
        s = 127 / amax;
      } else {
        // the signed value of largest magnitude, the first one where several tie
        let mx: f32 = 0;
        for (let i = 0; i < B; i++) {
          const v = load<f32>(xb + (<usize>i << 2));
          if (abs(v) == amax) { mx = v; break; }
        }
        s = -127 / mx;
        d = 1 / s;
      }
    }
    store<f32>(scales + (<usize>b << 2), d);
    const vs = f32x4.splat(s);
    const hi = kind == KIND_Q8_0 ? big : cap;
    for (let g = 0; g < B; g += 16) {
      const v0 = q8(xb + (<usize>g << 2), vs, hi);
      const v1 = q8(xb + (<usize>(g + 8) << 2), vs, hi);
      if (ASC_FEATURE_RELAXED_SIMD) v128.store(qb + <usize>g, i8x16.narrow_i16x8_s(v0, v1));
      else {
        v128.store(qb + (<usize>g << 1), v0);
        v128.store(qb + (<usize>g << 1), v1, 16);
      }
      const acc = i32x4.add(i32x4.extadd_pairwise_i16x8_s(v0), i32x4.extadd_pairwise_i16x8_s(v1));
      const sum = (i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1)) + (i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3));
      store<i32>(sums + (<usize>((b * B + g) >> 4) << 2), sum);
    }
  }
}

/** Quantizes rows of x [M, K] (f32) into q (M rows of `stride` bytes), rows handed out in chunks by `counter`. */
export function quantizeChunks(counter: usize, x: usize, M: i32, K: i32, kind: i32, q: usize, stride: i32): void {
  const chunks = (M + CHUNK_ROWS - 1) / CHUNK_ROWS;
  for (;;) {
    const c = atomic.add<i32>(counter, 1);
    if (c >= chunks) return;
    for (let t = c * CHUNK_ROWS, e = min(M, t + CHUNK_ROWS); t < e; t++) {
      quantizeRow(x + ((<usize>t * <usize>K) << 2), K, kind, q + <usize>t * <usize>stride);
    }
  }
}
