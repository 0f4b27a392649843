// Quantized matmul with 8-bit activations and integer dot products, computed the way llama.cpp's CPU backend
// computes it: y[M, N] = q8(x)[M, K] · Wᵀ with x quantized per row by quantizeChunks (Q8_0 or Q8_K, see
// quantizeRows.ts) and W in its stored type (Q8_0, Q4_0, Q5_0, Q4_K, Q5_K, Q6_K). Per weight block b:
//   y += d_w·d_x · Σ_s sc_s · Σ q_w·q_x  −  dmin_w·d_x · Σ_s m_s · Σ q_x        (integers inside the block)
// (sc_s/m_s: the integer sub-block scales/mins of K-quants; 1 and 0 for Q4_0/Q8_0).
//
// Weights are unpacked 4 rows × up to KQ values at a time and interleaved so that one v128 holds the same few
// values of rows 0…3, one row per i32 lane: pairs of signed 16-bit values for i32x4.dot_i16x8_s (plain SIMD, and
// Q8_0 everywhere, whose signed 8-bit weights the i8 dot cannot take; its activations are 16-bit then too), or
// quads of unsigned 7-bit values for the relaxed-SIMD i32x4.relaxed_dot_i8x16_i7x16_add_s
// (its second operand must stay below 128, so Q4_0's −8, Q5_0's −16 and Q6_K's −32 come off afterwards as
// offset·Σ q_x). The
// micro-kernel dots that vector with a token's pair (quad) of values splat to every lane, so each lane accumulates
// one weight row and y[t, j…j+3] comes out as one vector, with no horizontal sums; a tile of 4 tokens × 4 rows
// reuses each loaded weight vector 4 times. Threads take chunks of C (tokens × rows, cut by the sizes only); each
// C element is computed in one chunk in a fixed order, so results do not depend on the thread count.
import { halfAt, q5Values, scaleMinK4, T_Q4_0, T_Q4_K, T_Q5_0, T_Q5_K, T_Q6_K, T_Q8_0 } from './dequant';
import { madd } from './madd';
import { paddedRows } from './quantizeRows';

/** Values of K per packed tile (a multiple of 256). */
const KQ: i32 = 1024;
/** Tokens and weight rows per chunk of C. */
const QCHUNK_M: i32 = 256;
const QCHUNK_N: i32 = 64;
/** Scratch of one thread: 4 decoded rows, the packed tile, its sub-block and block scales, a 4×4 result tile. */
const TMP_BYTES: usize = <usize>(4 * KQ) << 1;
const PK_BYTES: usize = <usize>(4 * KQ) << 1;
const SUB_BYTES: usize = <usize>(KQ / 16) * 32;
const BLK_BYTES: usize = <usize>(KQ / 32) * 32;
export const QWORK_BYTES: usize = TMP_BYTES + PK_BYTES + SUB_BYTES + BLK_BYTES + 64;

/**
 * Q8_0 weights with no −128 among their values (the host checks at upload; llama.cpp's quantizer writes −127…127):
 * the relaxed build dots |w| (7 bits) with the activations carrying w's sign, 16 products per i8 dot instead of
 * the 8 of the 16-bit dot that signed 8-bit weights need. The plain build reads them as Q8_0.
 */
export const T_Q8_0_ABS: i32 = 0x100 | T_Q8_0;

/** Values per block (scale group) of a weight type. */
// @ts-ignore: decorator
@inline function superBlock(type: i32): i32 {
  return type == T_Q8_0 || type == T_Q8_0_ABS || type == T_Q4_0 || type == T_Q5_0 ? 32 : 256;
}
/** Values per integer sub-block scale (Q6_K: 16; the others: 32). */
// @ts-ignore: decorator
@inline function subBlock(type: i32): i32 {
  return type == T_Q6_K ? 16 : 32;
}

/** Packed weight values are bytes (relaxed-SIMD i8 dot) rather than 16-bit pairs. */
// @ts-ignore: decorator
@inline function byteValues(type: i32): bool {
  return ASC_FEATURE_RELAXED_SIMD && type != T_Q8_0;
}
/** log2 of the bytes per value of the quantized activations for this weight type (quantizeRows.ts). */
export function qValueShift(type: i32): i32 {
  return byteValues(type) ? 0 : 1;
}
/** What the relaxed i8 dot's unsigned weights carry above the signed value (Q4_0: 8, Q5_0: 16, Q6_K: 32). */
// @ts-ignore: decorator
@inline function unsignedOffset(type: i32): i32 {
  return type == T_Q4_0 ? 8 : type == T_Q5_0 ? 16 : type == T_Q6_K ? 32 : 0;
}

/**
 * How this runtime computes the relaxed i8 dot (i32x4.relaxed_dot_i8x16_i7x16_add_s), from its one
 * implementation-defined case: lane 0 of the dot of splat(a) with splat(b) where b is outside 7 bits. With a = 127,
 * b = −1: 129540 (4·127·255) where it is one VNNI instruction, 65534 where x86 without VNNI takes two multiplies
 * (pairs saturate at 32767: no faster than the 16-bit dot), −508 where b is read as signed (Arm's sdot).
 * Parameters, not constants, so that the compiler cannot fold it. 0 in the plain build.
 */
export function relaxedDotProbe(a: i32, b: i32): i32 {
  if (!ASC_FEATURE_RELAXED_SIMD) return 0;
  return i32x4.extract_lane(i32x4.relaxed_dot_i8x16_i7x16_add_s(i8x16.splat(<i8>a), i8x16.splat(<i8>b), i32x4.splat(0)), 0);
}

/** Whether the integer path handles this type. */
export function hasQgemm(type: i32): bool {
  return type == T_Q8_0 || type == T_Q8_0_ABS || type == T_Q4_0 || type == T_Q5_0 || type == T_Q4_K || type == T_Q5_K || type == T_Q6_K;
}

/** 16 int8 lanes → values i … i+15 of the row at dst: bytes, or i16 when `wide`. */
// @ts-ignore: decorator
@inline function put16(dst: usize, i: i32, q: v128, wide: bool): void {
  if (!wide) { v128.store(dst + <usize>i, q); return; }
  const d = dst + (<usize>i << 1);
  v128.store(d, i16x8.extend_low_i8x16_s(q));
  v128.store(d, i16x8.extend_high_i8x16_s(q), 16);
}

/**
 * Values [p0, p0 + kc) of one stored row → dst (i16, signed; or bytes, unsigned, see byteValues); its integer
 * sub-block scales and mins into lane 0 of the entries at sub (32 bytes each: scale i32x4, min i32x4) and its block
 * scales into lane 0 of the entries at blk (32 bytes each: d f32x4, dmin f32x4). The caller offsets sub and blk by
 * the row's lane.
 */
function decodeRow(type: i32, row: usize, p0: i32, kc: i32, dst: usize, sub: usize, blk: usize): void {
  const wide = !byteValues(type);
  const low = i8x16.splat(15);
  if (type == T_Q8_0 || type == T_Q8_0_ABS || type == T_Q4_0) {
    const bb: usize = type == T_Q4_0 ? 18 : 34;
    const eight = i8x16.splat(wide ? 8 : 0);
    let p = row + <usize>(p0 / 32) * bb;
    for (let b = 0; b < kc / 32; b++, p += bb) {
      store<f32>(blk + (<usize>b << 5), halfAt(p));
      if (type != T_Q4_0) {
        put16(dst, 32 * b, v128.load(p + 2), wide);
        put16(dst, 32 * b + 16, v128.load(p + 18), wide);
      } else {
        const q = v128.load(p + 2);
        put16(dst, 32 * b, i8x16.sub(v128.and(q, low), eight), wide);
        put16(dst, 32 * b + 16, i8x16.sub(i8x16.shr_u(q, 4), eight), wide);
      }
    }
  } else if (type == T_Q5_0) {
    const sixteen = i8x16.splat(wide ? 16 : 0);
    let p = row + <usize>(p0 / 32) * 22;
    for (let b = 0; b < kc / 32; b++, p += 22) {
      store<f32>(blk + (<usize>b << 5), halfAt(p));
      put16(dst, 32 * b, i8x16.sub(q5Values(p, 0), sixteen), wide);
      put16(dst, 32 * b + 16, i8x16.sub(q5Values(p, 1), sixteen), wide);
    }
  } else if (type == T_Q4_K || type == T_Q5_K) {
    const q5 = type == T_Q5_K;
    const bb: usize = q5 ? 176 : 144;
    const one = i8x16.splat(1);
    let p = row + <usize>(p0 / 256) * bb;
    for (let b = 0; b < kc / 256; b++, p += bb) {
      store<f32>(blk + (<usize>b << 5), halfAt(p));
      store<f32>(blk + (<usize>b << 5) + 16, halfAt(p + 2));
      const qs = p + (q5 ? 48 : 16);
      for (let g = 0; g < 4; g++) {
        const s = sub + (<usize>(8 * b + 2 * g) << 5);
        const sm1 = scaleMinK4(p + 4, 2 * g);
        const sm2 = scaleMinK4(p + 4, 2 * g + 1);
        store<i32>(s, sm1 & 0xffff);
        store<i32>(s + 16, sm1 >>> 16);
        store<i32>(s + 32, sm2 & 0xffff);
        store<i32>(s + 48, sm2 >>> 16);
        const o = 256 * b + 64 * g;
        for (let h = 0; h < 2; h++) {
          const q = v128.load(qs + 32 * g + 16 * h);
          let a = v128.and(q, low);
          let c = i8x16.shr_u(q, 4);
          if (q5) {
            const hb = v128.load(p + 16 + 16 * h);
            a = v128.or(a, i8x16.shl(v128.and(i8x16.shr_u(hb, 2 * g), one), 4));
            c = v128.or(c, i8x16.shl(v128.and(i8x16.shr_u(hb, 2 * g + 1), one), 4));
          }
          put16(dst, o + 16 * h, a, wide);
          put16(dst, o + 32 + 16 * h, c, wide);
        }
      }
    }
  } else if (type == T_Q6_K) {
    const three = i8x16.splat(3);
    const off = i8x16.splat(wide ? 32 : 0);
    let p = row + <usize>(p0 / 256) * 210;
    for (let b = 0; b < kc / 256; b++, p += 210) {
      store<f32>(blk + (<usize>b << 5), halfAt(p + 208));
      // value i of the block has the scale byte 192 + i/16
      for (let i = 0; i < 16; i++) store<i32>(sub + (<usize>(16 * b + i) << 5), <i32>load<i8>(p + 192 + i));
      for (let half = 0; half < 2; half++) {
        const ql = p + 64 * half;
        const qh = p + 128 + 32 * half;
        const y = 256 * b + 128 * half;
        for (let is = 0; is < 2; is++) {
          const l = 16 * is;
          const a = v128.load(ql + l);
          const c = v128.load(ql + l + 32);
          const h = v128.load(qh + l);
          put16(dst, y + l, i8x16.sub(v128.or(v128.and(a, low), i8x16.shl(v128.and(h, three), 4)), off), wide);
          put16(dst, y + l + 32, i8x16.sub(v128.or(v128.and(c, low), i8x16.shl(v128.and(i8x16.shr_u(h, 2), three), 4)), off), wide);
          put16(dst, y + l + 64, i8x16.sub(v128.or(i8x16.shr_u(a, 4), i8x16.shl(v128.and(i8x16.shr_u(h, 4), three), 4)), off), wide);
          put16(dst, y + l + 96, i8x16.sub(v128.or(i8x16.shr_u(c, 4), i8x16.shl(i8x16.shr_u(h, 6), 4)), off), wide);
        }
      }
    }
  }
}

/** Packs rows j … j+nr−1 (nr ≤ 4; the rest zero), values [p0, p0 + kc), into the tile at pk (layout above). */
function packGroup(type: i32, b: usize, rowBytes: i32, j: i32, nr: i32, p0: i32, kc: i32, pk: usize, tmp: usize): void {
  const rowTmp = <usize>kc << (byteValues(type) ? 0 : 1);
  const sub = pk + (rowTmp << 2);
  const blk = sub + <usize>(kc / subBlock(type)) * 32;
  memory.fill(sub, 0, <usize>(kc / subBlock(type)) * 32 + <usize>(kc / superBlock(type)) * 32);
  for (let r = 0; r < 4; r++) {
    const t = tmp + <usize>r * rowTmp;
    if (r < nr) decodeRow(type, b + <usize>(j + r) * <usize>rowBytes, p0, kc, t, sub + (<usize>r << 2), blk + (<usize>r << 2));
    else memory.fill(t, 0, rowTmp);
  }
  // a 4×4 transpose of i32 lanes (value pairs or quads) puts lane i of rows 0…3 in one vector
  for (let o: usize = 0; o < rowTmp; o += 16) {
    const r0 = v128.load(tmp + o), r1 = v128.load(tmp + rowTmp + o);
    const r2 = v128.load(tmp + 2 * rowTmp + o), r3 = v128.load(tmp + 3 * rowTmp + o);
    const a = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
    const c = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
    const e = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
    const f = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
    const d = pk + (o << 2);
    v128.store(d, i32x4.shuffle(a, c, 0, 1, 4, 5));
    v128.store(d, i32x4.shuffle(a, c, 2, 3, 6, 7), 16);
    v128.store(d, i32x4.shuffle(e, f, 0, 1, 4, 5), 32);
    v128.store(d, i32x4.shuffle(e, f, 2, 3, 6, 7), 48);
  }
}

/** t + the i8 dot products of |w| (wv) with a token's quad at x, each value negated where w < 0 (ms: −1 there). */
// @ts-ignore: decorator
@inline function dotSigned(t: v128, wv: v128, ms: v128, x: usize): v128 {
  return i32x4.relaxed_dot_i8x16_i7x16_add_s(i8x16.sub(v128.xor(v128.load32_splat(x), ms), ms), wv, t);
}

/** t + the dot products of one w vector with a token's values at x (pair or quad per lane, see the file comment). */
// @ts-ignore: decorator
@inline function dotStep(t: v128, w: v128, x: usize, bytes: bool): v128 {
  if (ASC_FEATURE_RELAXED_SIMD && bytes) return i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load32_splat(x), w, t);
  return i32x4.add(t, i32x4.dot_i16x8_s(w, v128.load32_splat(x)));
}

/**
 * ct[4 tokens][4 rows] = the packed tile (kc values) against a panel of 4 quantized tokens (quantizeRows.ts). xp:
 * the panel at p0; ds, ss: token 0's block scales at p0's block and 16-group sums at p0's group, the next tokens'
 * dStride and sStride bytes further.
 */
function micro(type: i32, kc: i32, pk: usize, xp: usize, ds: usize, dStride: usize, ss: usize, sStride: usize, ct: usize): void {
  const d0 = ds, d1 = ds + dStride, d2 = ds + 2 * dStride, d3 = ds + 3 * dStride;
  const s0 = ss, s1 = ss + sStride, s2 = ss + 2 * sStride, s3 = ss + 3 * sStride;
  const S = subBlock(type);
  const SB = superBlock(type);
  const bytes = byteValues(type);
  const scaled = SB != S || type == T_Q6_K;
  const mins = type == T_Q4_K || type == T_Q5_K;
  const off = bytes ? unsignedOffset(type) : 0;
  // values per w vector (per lane): a 4-byte unit of each token's activations matches it
  const per: usize = bytes ? 4 : 2;
  let w = pk;
  let sub = pk + (<usize>kc << (bytes ? 2 : 3));
  let blk = sub + <usize>(kc / S) * 32;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let x = xp;
  for (let b = 0; b < kc / SB; b++, blk += 32) {
    let i0 = i32x4.splat(0), i1 = i32x4.splat(0), i2 = i32x4.splat(0), i3 = i32x4.splat(0);
    let m0 = i32x4.splat(0), m1 = i32x4.splat(0), m2 = i32x4.splat(0), m3 = i32x4.splat(0);
    for (let s = 0; s < SB / S; s++, sub += 32) {
      let t0 = i32x4.splat(0), t1 = i32x4.splat(0), t2 = i32x4.splat(0), t3 = i32x4.splat(0);
      for (let e = w + ((<usize>S / per) << 4); w < e; w += 32, x += 32) {
        let wv = v128.load(w);
        t0 = dotStep(t0, wv, x, bytes); t1 = dotStep(t1, wv, x + 4, bytes);
        t2 = dotStep(t2, wv, x + 8, bytes); t3 = dotStep(t3, wv, x + 12, bytes);
        wv = v128.load(w, 16);
        const y = x + 16;
        t0 = dotStep(t0, wv, y, bytes); t1 = dotStep(t1, wv, y + 4, bytes);
        t2 = dotStep(t2, wv, y + 8, bytes); t3 = dotStep(t3, wv, y + 12, bytes);
      }
      // 16-group of the sub-block's first value (relative to p0)
      const g = <usize>((b * SB + s * S) >> 4) << 2;
      if (off) {
        // unsigned weights: Σ (u − off)·x = Σ u·x − off·Σ x
        const two = S == 32;
        t0 = i32x4.sub(t0, i32x4.splat(off * (load<i32>(s0 + g) + (two ? load<i32>(s0 + g, 4) : 0))));
        t1 = i32x4.sub(t1, i32x4.splat(off * (load<i32>(s1 + g) + (two ? load<i32>(s1 + g, 4) : 0))));
        t2 = i32x4.sub(t2, i32x4.splat(off * (load<i32>(s2 + g) + (two ? load<i32>(s2 + g, 4) : 0))));
        t3 = i32x4.sub(t3, i32x4.splat(off * (load<i32>(s3 + g) + (two ? load<i32>(s3 + g, 4) : 0))));
      }
      if (scaled) {
        const sc = v128.load(sub);
        i0 = i32x4.add(i0, i32x4.mul(t0, sc)); i1 = i32x4.add(i1, i32x4.mul(t1, sc));
        i2 = i32x4.add(i2, i32x4.mul(t2, sc)); i3 = i32x4.add(i3, i32x4.mul(t3, sc));
      } else {
        i0 = t0; i1 = t1; i2 = t2; i3 = t3;
      }
      if (mins) {
        // the sub-block is 32 values: two 16-group sums
        const mv = v128.load(sub, 16);
        m0 = i32x4.add(m0, i32x4.mul(mv, i32x4.splat(load<i32>(s0 + g) + load<i32>(s0 + g, 4))));
        m1 = i32x4.add(m1, i32x4.mul(mv, i32x4.splat(load<i32>(s1 + g) + load<i32>(s1 + g, 4))));
        m2 = i32x4.add(m2, i32x4.mul(mv, i32x4.splat(load<i32>(s2 + g) + load<i32>(s2 + g, 4))));
        m3 = i32x4.add(m3, i32x4.mul(mv, i32x4.splat(load<i32>(s3 + g) + load<i32>(s3 + g, 4))));
      }
    }
    const dw = v128.load(blk);
    const bo = <usize>b << 2;
    const e0 = f32x4.splat(load<f32>(d0 + bo)), e1 = f32x4.splat(load<f32>(d1 + bo));
    const e2 = f32x4.splat(load<f32>(d2 + bo)), e3 = f32x4.splat(load<f32>(d3 + bo));
    a0 = madd(f32x4.convert_i32x4_s(i0), f32x4.mul(dw, e0), a0);
    a1 = madd(f32x4.convert_i32x4_s(i1), f32x4.mul(dw, e1), a1);
    a2 = madd(f32x4.convert_i32x4_s(i2), f32x4.mul(dw, e2), a2);
    a3 = madd(f32x4.convert_i32x4_s(i3), f32x4.mul(dw, e3), a3);
    if (mins) {
      const dm = v128.load(blk, 16);
      a0 = f32x4.sub(a0, f32x4.mul(f32x4.convert_i32x4_s(m0), f32x4.mul(dm, e0)));
      a1 = f32x4.sub(a1, f32x4.mul(f32x4.convert_i32x4_s(m1), f32x4.mul(dm, e1)));
      a2 = f32x4.sub(a2, f32x4.mul(f32x4.convert_i32x4_s(m2), f32x4.mul(dm, e2)));
      a3 = f32x4.sub(a3, f32x4.mul(f32x4.convert_i32x4_s(m3), f32x4.mul(dm, e3)));
    }
  }
  v128.store(ct, a0); v128.store(ct, a1, 16); v128.store(ct, a2, 32); v128.store(ct, a3, 48);
}

/**
 * micro for T_Q8_0_ABS in the relaxed build: Q8_0's blocks of 32 with one scale each, |w| dotted with the
 * activations negated where w < 0 (exact: |w| ≤ 127 and the activations are −127…127).
 */
function microQ8Abs(kc: i32, pk: usize, xp: usize, ds: usize, dStride: usize, ct: usize): void {
  const d0 = ds, d1 = ds + dStride, d2 = ds + 2 * dStride, d3 = ds + 3 * dStride;
  let w = pk;
  let blk = pk + (<usize>kc << 2) + <usize>(kc / 32) * 32;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let x = xp;
  for (let b = 0; b < kc / 32; b++, blk += 32) {
    let t0 = i32x4.splat(0), t1 = i32x4.splat(0), t2 = i32x4.splat(0), t3 = i32x4.splat(0);
    for (let e = w + 128; w < e; w += 32, x += 32) {
      let wv = v128.load(w);
      let ms = i8x16.shr_s(wv, 7);
      wv = i8x16.abs(wv);
      t0 = dotSigned(t0, wv, ms, x); t1 = dotSigned(t1, wv, ms, x + 4);
      t2 = dotSigned(t2, wv, ms, x + 8); t3 = dotSigned(t3, wv, ms, x + 12);
      wv = v128.load(w, 16);
      ms = i8x16.shr_s(wv, 7);
      wv = i8x16.abs(wv);
      const y = x + 16;
      t0 = dotSigned(t0, wv, ms, y); t1 = dotSigned(t1, wv, ms, y + 4);
      t2 = dotSigned(t2, wv, ms, y + 8); t3 = dotSigned(t3, wv, ms, y + 12);
    }
    const dw = v128.load(blk);
    const bo = <usize>b << 2;
    a0 = madd(f32x4.convert_i32x4_s(t0), f32x4.mul(dw, f32x4.splat(load<f32>(d0 + bo))), a0);
    a1 = madd(f32x4.convert_i32x4_s(t1), f32x4.mul(dw, f32x4.splat(load<f32>(d1 + bo))), a1);
    a2 = madd(f32x4.convert_i32x4_s(t2), f32x4.mul(dw, f32x4.splat(load<f32>(d2 + bo))), a2);
    a3 = madd(f32x4.convert_i32x4_s(t3), f32x4.mul(dw, f32x4.splat(load<f32>(d3 + bo))), a3);
  }
  v128.store(ct, a0); v128.store(ct, a1, 16); v128.store(ct, a2, 32); v128.store(ct, a3, 48);
}

/**
 * Computes chunks of y[M, N] = q8(x) · Wᵀ until none is left (see the file comment). xq: M rows quantized by
 * quantizeChunks (the kind that matches `type`); b: the stored weight, rows of rowBytes; y rows are ldc floats
 * apart. Every thread taking part calls this with the same arguments; `counter` hands out chunks.
 */
export function qgemmChunks(counter: usize, M: i32, N: i32, K: i32, xq: usize, b: usize, type: i32,
  rowBytes: i32, c: usize, ldc: i32, work: usize): void {
  const nN = (N + QCHUNK_N - 1) / QCHUNK_N;
  const nM = (M + QCHUNK_M - 1) / QCHUNK_M;
  for (;;) {
    const i = atomic.add<i32>(counter, 1);
    if (i >= nM * nN) return;
    const m0 = (i / nN) * QCHUNK_M;
    const n0 = (i % nN) * QCHUNK_N;
    qgemmRange(m0, min(M, m0 + QCHUNK_M), n0, min(N, n0 + QCHUNK_N), M, K, xq, b, type, rowBytes, c, ldc, work);
  }
}

function qgemmRange(m0: i32, m1: i32, n0: i32, n1: i32, M: i32, K: i32, xq: usize, b: usize, type: i32,
  rowBytes: i32, c: usize, ldc: i32, work: usize): void {
  const tmp = work;
  const pk = tmp + TMP_BYTES;
  const ct = pk + PK_BYTES + SUB_BYTES + BLK_BYTES;
  const SB = superBlock(type);
  const Mp = paddedRows(M);
  const xv = qValueShift(type);
  const panel = <usize>(4 * K) << xv;
  const dStride = <usize>(K / SB) << 2;
  const sStride = <usize>(K / 16) << 2;
  const scales = xq + <usize>Mp * <usize>(K << xv);
  const sums = scales + <usize>Mp * dStride;
  for (let p0 = 0; p0 < K; p0 += KQ) {
    const kc = min(KQ, K - p0);
    const xo = <usize>(4 * p0) << xv;
    const dO = <usize>(p0 / SB) << 2;
    const sO = <usize>(p0 >> 4) << 2;
    for (let j = n0; j < n1; j += 4) {
      const nr = min(4, n1 - j);
      packGroup(type, b, rowBytes, j, nr, p0, kc, pk, tmp);
      for (let t = m0; t < m1; t += 4) {
        const mr = min(4, m1 - t);
        if (ASC_FEATURE_RELAXED_SIMD && type == T_Q8_0_ABS) {
          microQ8Abs(kc, pk, xq + <usize>(t >> 2) * panel + xo, scales + <usize>t * dStride + dO, dStride, ct);
        } else {
          micro(type, kc, pk, xq + <usize>(t >> 2) * panel + xo, scales + <usize>t * dStride + dO, dStride,
            sums + <usize>t * sStride + sO, sStride, ct);
        }
        for (let ii = 0; ii < mr; ii++) {
          const dst = c + ((<usize>(t + ii) * <usize>ldc + <usize>j) << 2);
          const v = v128.load(ct + (<usize>ii << 4));
          if (nr == 4) v128.store(dst, p0 == 0 ? v : f32x4.add(v128.load(dst), v));
          else {
            for (let jj = 0; jj < nr; jj++) {
              const q = dst + (<usize>jj << 2);
              const s = load<f32>(ct + (<usize>(ii * 4 + jj) << 2));
              store<f32>(q, p0 == 0 ? s : load<f32>(q) + s);
            }
          }
        }
      }
    }
  }
}
