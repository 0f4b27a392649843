// Activations quantized to 8 bits the way llama.cpp's CPU matmul converts them before its integer dot products
// (the "vec_dot_type" of the weight): Q8_0 for Q4_0/Q8_0 weights — 32-value blocks, scale amax/127 rounded to
// f16 — and Q8_K for K-quants — 256-value blocks, f32 scale −max/127 from the signed value of largest magnitude.
// The same rounding as src/engine/kernels/llamaCppRounding.ts (the reference backend's), value for value.
//
// Layout of M quantized rows (qBufferBytes), tokens padded with zero rows to a multiple of 4:
//  - values, signed — 16-bit where the integer dot is i32x4.dot_i16x8_s (plain SIMD, and Q8_0 weights
//    everywhere), 8-bit where it is the relaxed-SIMD i8 dot (qValueShift in qgemm.ts decides) — in panels of 4
//    tokens: 4-byte units (2 or 4 values) of tokens 0…3 side by side, so the matmul's micro-kernel reads the 4
//    tokens' next values from one pointer;
//  - then each token's K/B f32 block scales;
//  - then each token's K/16 i32 sums of the values of each 16-group (K-quant mins and unsigned-weight offsets).
export const KIND_Q8_0: i32 = 0;
export const KIND_Q8_K: i32 = 1;

/** Rows per chunk: whole panels of 4. */
const CHUNK_ROWS: i32 = 8;

/** Values per block of a quantization kind. */
// @ts-ignore: decorator
@inline export function kindBlock(kind: i32): i32 {
  return kind == KIND_Q8_0 ? 32 : 256;
}

/** Tokens rounded up to whole panels of 4. */
// @ts-ignore: decorator
@inline export function paddedRows(M: i32): i32 {
  return (M + 3) & ~3;
}

/** Bytes of the quantized form of M rows of K values (the layout above), values of 1 << xv bytes. */
export function qBufferBytes(M: i32, K: i32, kind: i32, xv: i32): i32 {
  return paddedRows(M) * ((K << xv) + 4 * (K / kindBlock(kind)) + 4 * (K / 16));
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

/** Stores the 4-byte units of v (4 lanes) at dst, 16 bytes apart (one token's slot in a panel). */
// @ts-ignore: decorator
@inline function putUnits(dst: usize, v: v128): void {
  store<i32>(dst, i32x4.extract_lane(v, 0));
  store<i32>(dst, i32x4.extract_lane(v, 1), 16);
  store<i32>(dst, i32x4.extract_lane(v, 2), 32);
  store<i32>(dst, i32x4.extract_lane(v, 3), 48);
}

/** Quantizes one row of K floats at x: values to this token's slot of its panel (vals), scales, 16-group sums. */
function quantizeRow(x: usize, K: i32, kind: i32, xv: i32, vals: usize, scales: usize, sums: usize): void {
  const B = kindBlock(kind);
  const cap = f32x4.splat(127);
  const big = f32x4.splat(1e30);
  for (let b = 0; b < K / B; b++) {
    const xb = x + (<usize>(b * B) << 2);
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
      // unit u of this token sits at vals + 16·u; a unit is 4 bytes: 4 values (8-bit) or 2 (16-bit)
      const k = b * B + g;
      if (xv == 0) putUnits(vals + (<usize>(k >> 2) << 4), i8x16.narrow_i16x8_s(v0, v1));
      else {
        putUnits(vals + (<usize>(k >> 1) << 4), v0);
        putUnits(vals + (<usize>((k >> 1) + 4) << 4), v1);
      }
      const acc = i32x4.add(i32x4.extadd_pairwise_i16x8_s(v0), i32x4.extadd_pairwise_i16x8_s(v1));
      const sum = (i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1)) + (i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3));
      store<i32>(sums + (<usize>(k >> 4) << 2), sum);
    }
  }
}

/**
 * Quantizes rows of x [M, K] (f32) into q (qBufferBytes, the layout above; values of 1 << xv bytes), rows handed
 * out in chunks by `counter`.
 */
export function quantizeChunks(counter: usize, x: usize, M: i32, K: i32, kind: i32, q: usize, xv: i32): void {
  const Mp = paddedRows(M);
  const chunks = (Mp + CHUNK_ROWS - 1) / CHUNK_ROWS;
  const panel = <usize>(4 * K) << xv;
  const nS = K / kindBlock(kind);
  const scales = q + <usize>Mp * <usize>(K << xv);
  const sums = scales + (<usize>(Mp * nS) << 2);
  for (;;) {
    const c = atomic.add<i32>(counter, 1);
    if (c >= chunks) return;
    for (let t = c * CHUNK_ROWS, e = min(Mp, t + CHUNK_ROWS); t < e; t++) {
      const vals = q + <usize>(t >> 2) * panel + (<usize>(t & 3) << 2);
      const sc = scales + (<usize>(t * nS) << 2);
      const su = sums + (<usize>(t * (K / 16)) << 2);
      if (t < M) quantizeRow(x + ((<usize>t * <usize>K) << 2), K, kind, xv, vals, sc, su);
      else {
        // padding token: zero values, scales and sums
        for (let u = 0; u < (K << xv) >> 2; u++) store<i32>(vals + (<usize>u << 4), 0);
        memory.fill(sc, 0, <usize>nS << 2);
        memory.fill(su, 0, <usize>(K / 16) << 2);
      }
    }
  }
}
