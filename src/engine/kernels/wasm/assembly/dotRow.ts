// One token against one stored row, dequantizing inside the dot product (m = 1: nothing is reused, so writing
// dequantized values out and reading them back would double the work). Block scales are applied once per group:
//   Σ (d·q − m)·x = d·Σ q·x − m·Σ x   (K-quants, with Σ x per 32-group computed once per call in xsum)
import { madd } from './madd';
import { halfAt, q5Values, T_Q4_0, T_Q4_K, T_Q5_0, T_Q5_K, T_Q6_K, T_Q8_0 } from './dequant';

/** Σ q_i·x_i over 16 signed int8 lanes, as 4 partial lanes. */
// @ts-ignore: decorator
@inline function dot16(q: v128, x: usize): v128 {
  const lo = i16x8.extend_low_i8x16_s(q);
  const hi = i16x8.extend_high_i8x16_s(q);
  let s = f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(lo)), v128.load(x));
  s = madd(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(lo)), v128.load(x, 16), s);
  s = madd(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(hi)), v128.load(x, 32), s);
  return madd(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(hi)), v128.load(x, 48), s);
}

/** K-quant 6-bit scale (low 16 bits) and min (high 16 bits) of group j from the 12 packed bytes at s. */
// @ts-ignore: decorator
@inline function scaleMinK4(s: usize, j: i32): i32 {
  if (j < 4) return (<i32>load<u8>(s + j) & 63) | ((<i32>load<u8>(s + j + 4) & 63) << 16);
  const a = <i32>load<u8>(s + j + 4);
  return ((a & 0xf) | ((<i32>load<u8>(s + j - 4) >> 6) << 4)) | (((a >> 4) | ((<i32>load<u8>(s + j) >> 6) << 4)) << 16);
}

/** Whether dotRow handles this type. */
export function hasDotRow(type: i32): bool {
  return type == T_Q8_0 || type == T_Q4_0 || type == T_Q5_0 || type == T_Q4_K || type == T_Q5_K || type == T_Q6_K;
}

/** xsum[g] = Σ x over values 32g … 32g + 31 (K is a multiple of 32 for every block type). */
export function groupSums(x: usize, K: i32, xsum: usize): void {
  for (let g = 0; g < K / 32; g++) {
    const p = x + (<usize>(32 * g) << 2);
    let s = f32x4.add(f32x4.add(v128.load(p), v128.load(p, 16)), f32x4.add(v128.load(p, 32), v128.load(p, 48)));
    s = f32x4.add(s, f32x4.add(f32x4.add(v128.load(p, 64), v128.load(p, 80)), f32x4.add(v128.load(p, 96), v128.load(p, 112))));
    store<f32>(xsum + (<usize>g << 2), (f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1)) + (f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3)));
  }
}

/** Σ_k W[row, k]·x[k] for a stored row of K values (K a multiple of the type's block size). */
export function dotRow(type: i32, row: usize, K: i32, x: usize, xsum: usize): f32 {
  let acc = f32x4.splat(0);
  let mins: f32 = 0;
  const low = i8x16.splat(15);
  if (type == T_Q8_0) {
    for (let p = row, e = row + <usize>(K / 32) * 34; p < e; p += 34, x += 128) {
      const v = f32x4.add(dot16(v128.load(p + 2), x), dot16(v128.load(p + 18), x + 64));
      acc = madd(v, f32x4.splat(halfAt(p)), acc);
    }
  } else if (type == T_Q4_0) {
    const eight = i8x16.splat(8);
    for (let p = row, e = row + <usize>(K / 32) * 18; p < e; p += 18, x += 128) {
      const q = v128.load(p + 2);
      const v = f32x4.add(dot16(i8x16.sub(v128.and(q, low), eight), x), dot16(i8x16.sub(i8x16.shr_u(q, 4), eight), x + 64));
      acc = madd(v, f32x4.splat(halfAt(p)), acc);
    }
  } else if (type == T_Q5_0) {
    const sixteen = i8x16.splat(16);
    for (let p = row, e = row + <usize>(K / 32) * 22; p < e; p += 22, x += 128) {
      const v = f32x4.add(dot16(i8x16.sub(q5Values(p, 0), sixteen), x), dot16(i8x16.sub(q5Values(p, 1), sixteen), x + 64));
      acc = madd(v, f32x4.splat(halfAt(p)), acc);
    }
  } else if (type == T_Q4_K || type == T_Q5_K) {
    const q5 = type == T_Q5_K;
    const bb: usize = q5 ? 176 : 144;
    const one = i8x16.splat(1);
    for (let p = row, e = row + <usize>(K / 256) * bb; p < e; p += bb, x += 1024, xsum += 32) {
      const d = halfAt(p);
      const dmin = halfAt(p + 2);
      const qs = p + (q5 ? 48 : 16);
      let m: f32 = 0;
      for (let g = 0; g < 4; g++) {
        const sm1 = scaleMinK4(p + 4, 2 * g);
        const sm2 = scaleMinK4(p + 4, 2 * g + 1);
        const xg = x + (<usize>(64 * g) << 2);
        let qa0 = v128.load(qs + 32 * g), qa1 = v128.load(qs + 32 * g + 16);
        let lo0 = v128.and(qa0, low), lo1 = v128.and(qa1, low);
        let hi0 = i8x16.shr_u(qa0, 4), hi1 = i8x16.shr_u(qa1, 4);
        if (q5) {
          const h0 = v128.load(p + 16), h1 = v128.load(p + 32);
          lo0 = v128.or(lo0, i8x16.shl(v128.and(i8x16.shr_u(h0, 2 * g), one), 4));
          lo1 = v128.or(lo1, i8x16.shl(v128.and(i8x16.shr_u(h1, 2 * g), one), 4));
          hi0 = v128.or(hi0, i8x16.shl(v128.and(i8x16.shr_u(h0, 2 * g + 1), one), 4));
          hi1 = v128.or(hi1, i8x16.shl(v128.and(i8x16.shr_u(h1, 2 * g + 1), one), 4));
        }
        const v1 = f32x4.add(dot16(lo0, xg), dot16(lo1, xg + 64));
        const v2 = f32x4.add(dot16(hi0, xg + 128), dot16(hi1, xg + 192));
        acc = madd(v1, f32x4.splat(d * <f32>(sm1 & 0xffff)), acc);
        acc = madd(v2, f32x4.splat(d * <f32>(sm2 & 0xffff)), acc);
        m += <f32>(sm1 >>> 16) * load<f32>(xsum + (<usize>(2 * g) << 2)) + <f32>(sm2 >>> 16) * load<f32>(xsum + (<usize>(2 * g + 1) << 2));
      }
      mins += dmin * m;
    }
  } else if (type == T_Q6_K) {
    const three = i8x16.splat(3);
    const off = i8x16.splat(32);
    for (let p = row, e = row + <usize>(K / 256) * 210; p < e; p += 210, x += 1024) {
      const d = halfAt(p + 208);
      for (let half = 0; half < 2; half++) {
        const ql = p + 64 * half;
        const qh = p + 128 + 32 * half;
        const sc = p + 192 + 8 * half;
        const y = x + (<usize>(128 * half) << 2);
        for (let is = 0; is < 2; is++) {
          const l = 16 * is;
          const a = v128.load(ql + l);
          const b = v128.load(ql + l + 32);
          const h = v128.load(qh + l);
          const q1 = i8x16.sub(v128.or(v128.and(a, low), i8x16.shl(v128.and(h, three), 4)), off);
          const q2 = i8x16.sub(v128.or(v128.and(b, low), i8x16.shl(v128.and(i8x16.shr_u(h, 2), three), 4)), off);
          const q3 = i8x16.sub(v128.or(i8x16.shr_u(a, 4), i8x16.shl(v128.and(i8x16.shr_u(h, 4), three), 4)), off);
          const q4 = i8x16.sub(v128.or(i8x16.shr_u(b, 4), i8x16.shl(i8x16.shr_u(h, 6), 4)), off);
          acc = madd(dot16(q1, y + (<usize>l << 2)), f32x4.splat(d * <f32>load<i8>(sc + is)), acc);
          acc = madd(dot16(q2, y + (<usize>(l + 32) << 2)), f32x4.splat(d * <f32>load<i8>(sc + is + 2)), acc);
          acc = madd(dot16(q3, y + (<usize>(l + 64) << 2)), f32x4.splat(d * <f32>load<i8>(sc + is + 4)), acc);
          acc = madd(dot16(q4, y + (<usize>(l + 96) << 2)), f32x4.splat(d * <f32>load<i8>(sc + is + 6)), acc);
        }
      }
    }
  }
  return ((f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3))) - mins;
}
