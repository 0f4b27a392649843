// Dequantization of stored GGML rows into F32, 16 or more values per step with 128-bit SIMD. Block sizes and byte
// layouts: docs/dev/FORMATS.md and the decoders in src/engine/quant. Every product is rounded to f32 in the same
// order as the reference (src/engine/quant dequantize, used by the reference backend), so dequantized values match
// it bit for bit.

export const T_F32: i32 = 0;
export const T_F16: i32 = 1;
export const T_Q4_0: i32 = 2;
export const T_Q5_0: i32 = 6;
export const T_Q8_0: i32 = 8;
export const T_Q4_K: i32 = 12;
export const T_Q5_K: i32 = 13;
export const T_Q6_K: i32 = 14;
export const T_BF16: i32 = 30;

/** half bits → f32 for 4 lanes (i32x4 of zero-extended halves); exact for subnormals, inf and NaN. */
// @ts-ignore: decorator
@inline function halfToF32x4(h: v128): v128 {
  const sign = i32x4.shl(v128.and(h, i32x4.splat(0x8000)), 16);
  const em = v128.and(h, i32x4.splat(0x7fff));
  // (em << 13) read as f32 is the half's value / 2^112 (normal and subnormal alike); scale back by 2^112.
  const f = f32x4.mul(i32x4.shl(em, 13), f32x4.splat(reinterpret<f32>(0x77800000)));
  const infNan = v128.and(i32x4.ge_u(em, i32x4.splat(0x7c00)), i32x4.splat(0x7f800000));
  return v128.or(v128.or(f, infNan), sign);
}

/** One half at `p` → f32. */
// @ts-ignore: decorator
@inline export function halfAt(p: usize): f32 {
  return f32x4.extract_lane(halfToF32x4(i32x4.splat(<i32>load<u16>(p))), 0);
}

/** 16 signed int8 lanes → 16 floats at dst: q·mul − sub. */
// @ts-ignore: decorator
@inline function emit16(dst: usize, q: v128, mul: v128, sub: v128): void {
  const lo = i16x8.extend_low_i8x16_s(q);
  const hi = i16x8.extend_high_i8x16_s(q);
  v128.store(dst, f32x4.sub(f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(lo)), mul), sub), 0);
  v128.store(dst, f32x4.sub(f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(lo)), mul), sub), 16);
  v128.store(dst, f32x4.sub(f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(hi)), mul), sub), 32);
  v128.store(dst, f32x4.sub(f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(hi)), mul), sub), 48);
}

/** 16 signed int8 lanes → 16 floats at dst: q·mul. */
// @ts-ignore: decorator
@inline function emit16m(dst: usize, q: v128, mul: v128): void {
  const lo = i16x8.extend_low_i8x16_s(q);
  const hi = i16x8.extend_high_i8x16_s(q);
  v128.store(dst, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(lo)), mul), 0);
  v128.store(dst, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(lo)), mul), 16);
  v128.store(dst, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(hi)), mul), 32);
  v128.store(dst, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(hi)), mul), 48);
}

/**
 * Q5_0 values 0…15 (h = 0) or 16…31 (h = 1) of the block at p, unsigned 0…31: the low nibbles (h = 0) or high
 * nibbles of the 16 bytes at p + 6, with bit j of the u32 at p + 2 as the 5th bit of value j.
 */
// @ts-ignore: decorator
@inline export function q5Values(p: usize, h: i32): v128 {
  const q = v128.load(p + 6);
  const nib = h == 0 ? v128.and(q, i8x16.splat(15)) : i8x16.shr_u(q, 4);
  // lane j takes byte j/8 of its half of qh, then keeps bit j%8
  const sel = h == 0 ? i8x16(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1) : i8x16(2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
  const bits = v128.and(i8x16.swizzle(v128.load32_splat(p + 2), sel), i8x16(1, 2, 4, 8, 16, 32, 64, -128, 1, 2, 4, 8, 16, 32, 64, -128));
  return v128.or(nib, v128.and(i8x16.ne(bits, i8x16.splat(0)), i8x16.splat(16)));
}

/** K-quant 6-bit scale (low 16 bits) and min (high 16 bits) of group j from the 12 packed bytes at s. */
// @ts-ignore: decorator
@inline export function scaleMinK4(s: usize, j: i32): i32 {
  if (j < 4) return (<i32>load<u8>(s + j) & 63) | ((<i32>load<u8>(s + j + 4) & 63) << 16);
  const a = <i32>load<u8>(s + j + 4);
  const sc = (a & 0xf) | ((<i32>load<u8>(s + j - 4) >> 6) << 4);
  const mn = (a >> 4) | ((<i32>load<u8>(s + j) >> 6) << 4);
  return sc | (mn << 16);
}

/** Bytes per block and values per block of a type, packed as bytes << 16 | values. */
export function blockInfo(type: i32): i32 {
  switch (type) {
    case T_F32: return (4 << 16) | 1;
    case T_F16: case T_BF16: return (2 << 16) | 1;
    case T_Q8_0: return (34 << 16) | 32;
    case T_Q4_0: return (18 << 16) | 32;
    case T_Q5_0: return (22 << 16) | 32;
    case T_Q4_K: return (144 << 16) | 256;
    case T_Q5_K: return (176 << 16) | 256;
    case T_Q6_K: return (210 << 16) | 256;
  }
  return 0;
}

/**
 * Values [c0, c0 + n) of the stored row at `row` → dst (f32). For block types c0 is a multiple of the block size
 * and n is too, unless the span ends at the end of the row (then the row ends on a block boundary anyway).
 */
export function dequantSpan(type: i32, row: usize, c0: i32, n: i32, dst: usize): void {
  if (type == T_F32) { memory.copy(dst, row + (<usize>c0 << 2), <usize>n << 2); return; }
  if (type == T_F16 || type == T_BF16) {
    let p = row + (<usize>c0 << 1);
    let i = 0;
    if (type == T_F16) {
      for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), halfToF32x4(v128.load16x4_u(p + (<usize>i << 1))));
      for (; i < n; i++) store<f32>(dst + (<usize>i << 2), halfAt(p + (<usize>i << 1)));
    } else {
      for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), i32x4.shl(v128.load16x4_u(p + (<usize>i << 1)), 16));
      for (; i < n; i++) store<u32>(dst + (<usize>i << 2), <u32>load<u16>(p + (<usize>i << 1)) << 16);
    }
    return;
  }
  const info = blockInfo(type);
  const bs = info & 0xffff;
  const bb = <usize>(info >>> 16);
  let p = row + <usize>(c0 / bs) * bb;
  const nb = (n + bs - 1) / bs;
  const zero = f32x4.splat(0);
  for (let blk = 0; blk < nb; blk++, p += bb, dst += <usize>bs << 2) {
    if (type == T_Q8_0) {
      const d = f32x4.splat(halfAt(p));
      emit16m(dst, v128.load(p + 2), d);
      emit16m(dst + 64, v128.load(p + 18), d);
    } else if (type == T_Q4_0) {
      const d = f32x4.splat(halfAt(p));
      const q = v128.load(p + 2);
      const eight = i8x16.splat(8);
      emit16m(dst, i8x16.sub(v128.and(q, i8x16.splat(15)), eight), d);
      emit16m(dst + 64, i8x16.sub(i8x16.shr_u(q, 4), eight), d);
    } else if (type == T_Q5_0) {
      const d = f32x4.splat(halfAt(p));
      const sixteen = i8x16.splat(16);
      emit16m(dst, i8x16.sub(q5Values(p, 0), sixteen), d);
      emit16m(dst + 64, i8x16.sub(q5Values(p, 1), sixteen), d);
    } else if (type == T_Q4_K || type == T_Q5_K) {
      const d = halfAt(p);
      const dmin = halfAt(p + 2);
      const q5 = type == T_Q5_K;
      const qh = p + 16;
      const qs = p + (q5 ? 48 : 16);
      const low = i8x16.splat(15);
      const one = i8x16.splat(1);
      for (let g = 0; g < 4; g++) {
        const sm1 = scaleMinK4(p + 4, 2 * g);
        const sm2 = scaleMinK4(p + 4, 2 * g + 1);
        const d1 = f32x4.splat(d * <f32>(sm1 & 0xffff)), n1 = f32x4.splat(dmin * <f32>(sm1 >>> 16));
        const d2 = f32x4.splat(d * <f32>(sm2 & 0xffff)), n2 = f32x4.splat(dmin * <f32>(sm2 >>> 16));
        const o = dst + (<usize>(64 * g) << 2);
        for (let h = 0; h < 2; h++) {
          const q = v128.load(qs + 32 * g + 16 * h);
          let a = v128.and(q, low);
          let b = i8x16.shr_u(q, 4);
          if (q5) {
            const hb = v128.load(qh + 16 * h);
            a = v128.or(a, i8x16.shl(v128.and(i8x16.shr_u(hb, 2 * g), one), 4));
            b = v128.or(b, i8x16.shl(v128.and(i8x16.shr_u(hb, 2 * g + 1), one), 4));
          }
          emit16(o + (<usize>(16 * h) << 2), a, d1, n1);
          emit16(o + (<usize>(32 + 16 * h) << 2), b, d2, n2);
        }
      }
    } else if (type == T_Q6_K) {
      const d = halfAt(p + 208);
      const low = i8x16.splat(15);
      const three = i8x16.splat(3);
      const off = i8x16.splat(32);
      for (let half = 0; half < 2; half++) {
        const ql = p + 64 * half;
        const qhp = p + 128 + 32 * half;
        const sc = p + 192 + 8 * half;
        const y = dst + (<usize>(128 * half) << 2);
        for (let is = 0; is < 2; is++) {
          const l = 16 * is;
          const a = v128.load(ql + l);
          const b = v128.load(ql + l + 32);
          const h = v128.load(qhp + l);
          const q1 = i8x16.sub(v128.or(v128.and(a, low), i8x16.shl(v128.and(h, three), 4)), off);
          const q2 = i8x16.sub(v128.or(v128.and(b, low), i8x16.shl(v128.and(i8x16.shr_u(h, 2), three), 4)), off);
          const q3 = i8x16.sub(v128.or(i8x16.shr_u(a, 4), i8x16.shl(v128.and(i8x16.shr_u(h, 4), three), 4)), off);
          const q4 = i8x16.sub(v128.or(i8x16.shr_u(b, 4), i8x16.shl(i8x16.shr_u(h, 6), 4)), off);
          emit16m(y + (<usize>l << 2), q1, f32x4.splat(d * <f32>load<i8>(sc + is)));
          emit16m(y + (<usize>(l + 32) << 2), q2, f32x4.splat(d * <f32>load<i8>(sc + is + 2)));
          emit16m(y + (<usize>(l + 64) << 2), q3, f32x4.splat(d * <f32>load<i8>(sc + is + 4)));
          emit16m(y + (<usize>(l + 96) << 2), q4, f32x4.splat(d * <f32>load<i8>(sc + is + 6)));
        }
      }
    } else {
      // unknown type: zeros (the host validates types before it calls)
      for (let i = 0; i < bs; i += 4) v128.store(dst + (<usize>i << 2), zero);
    }
  }
}
