// Blocked F32 GEMM with packed panels (the BLIS loop order) and a 4×8 register tile:
//   C[M, N] = alpha · A · B (+ beta · C),  A [M, K] (or stored transposed), B given by a stored matrix of any
// weight type: mode NT reads B(k, j) from row j of the source (y = x·Wᵀ), mode NN from row k (dx = dy·W).
// Quantized sources are dequantized one KC×NC block at a time into the B panel; nothing else is expanded.
// Threads take chunks of C (column or row ranges fixed by the sizes) from a shared counter; each element of C is
// computed inside one chunk in a fixed order, so the result is the same whichever thread computes it, and a
// thread that starts late (a busy machine) just finds fewer chunks left.
import { blockInfo, dequantSpan, T_F32 } from './dequant';
import { madd } from './madd';
import { dotRow, groupSums, hasDotRow } from './dotRow';

export const MR: i32 = 4;
export const NR: i32 = 8;
export const KC: i32 = 256;
export const MC: i32 = 64;
export const NC: i32 = 512;
/** A panel block, B panel block, one dequantized row group (NR·KC or NC floats), the C tile. */
const AP_BYTES: usize = <usize>(MC * KC) << 2;
const BP_BYTES: usize = <usize>(KC * NC) << 2;
const TMP_BYTES: usize = <usize>(NR * KC > NC ? NR * KC : NC) << 2;
const CT_BYTES: usize = <usize>(MR * NR) << 2;
export const WORK_BYTES: usize = AP_BYTES + BP_BYTES + TMP_BYTES + CT_BYTES;
/** Up to this many rows of A, mode NT uses dot products straight from the weight rows (no packing). */
export const GEMV_MAX_M: i32 = 3;

export const MODE_NT: i32 = 0;
export const MODE_NN: i32 = 1;

/** 4×4 transpose of rows r0…r3 stored as columns at dst (stride 4 floats × `stride` bytes between rows). */
// @ts-ignore: decorator
@inline function transpose4(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, stride: usize): void {
  const a = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const b = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const c = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const d = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(a, b, 0, 1, 4, 5));
  v128.store(dst + stride, i32x4.shuffle(a, b, 2, 3, 6, 7));
  v128.store(dst + 2 * stride, i32x4.shuffle(c, d, 0, 1, 4, 5));
  v128.store(dst + 3 * stride, i32x4.shuffle(c, d, 2, 3, 6, 7));
}

/** Ap[panel][kk][MR] ← A(i0 + ii, p0 + kk), zero past row iEnd. A(i, p) = a[i·lda + p] or, transposed, a[p·lda + i]. */
function packA(a: usize, trans: bool, lda: i32, i0: i32, mc: i32, iEnd: i32, p0: i32, kc: i32, ap: usize): void {
  for (let ir = 0; ir < mc; ir += MR, ap += <usize>(kc * MR) << 2) {
    const rows = min(MR, iEnd - (i0 + ir));
    if (!trans && rows == MR) {
      const s0 = a + ((<usize>(i0 + ir) * <usize>lda + <usize>p0) << 2);
      const ld = <usize>lda << 2;
      let kk = 0;
      for (; kk + 4 <= kc; kk += 4) {
        const o = <usize>kk << 2;
        transpose4(v128.load(s0 + o), v128.load(s0 + ld + o), v128.load(s0 + 2 * ld + o), v128.load(s0 + 3 * ld + o),
          ap + (<usize>(kk * MR) << 2), 16);
      }
      for (; kk < kc; kk++) {
        for (let ii = 0; ii < MR; ii++) store<f32>(ap + (<usize>(kk * MR + ii) << 2), load<f32>(s0 + <usize>ii * ld + (<usize>kk << 2)));
      }
    } else if (trans && rows == MR) {
      for (let kk = 0; kk < kc; kk++) {
        v128.store(ap + (<usize>(kk * MR) << 2), v128.load(a + ((<usize>(p0 + kk) * <usize>lda + <usize>(i0 + ir)) << 2)));
      }
    } else {
      for (let kk = 0; kk < kc; kk++) {
        for (let ii = 0; ii < MR; ii++) {
          const i = i0 + ir + ii;
          let v: f32 = 0;
          if (ii < rows) v = trans ? load<f32>(a + ((<usize>(p0 + kk) * <usize>lda + <usize>i) << 2)) : load<f32>(a + ((<usize>i * <usize>lda + <usize>(p0 + kk)) << 2));
          store<f32>(ap + (<usize>(kk * MR + ii) << 2), v);
        }
      }
    }
  }
}

/** Mode NT: Bp[panel][kk][NR] ← source row (j0 + jr + jj), values p0 + kk; zero past row jEnd. */
function packBNT(b: usize, type: i32, rowBytes: i32, j0: i32, nc: i32, jEnd: i32, p0: i32, kc: i32, bp: usize, tmp: usize): void {
  for (let jr = 0; jr < nc; jr += NR, bp += <usize>(kc * NR) << 2) {
    // Point at NR rows of kc floats: straight into an F32 source, else dequantized into tmp.
    let src: usize;
    let stride: usize;
    const rows = min(NR, jEnd - (j0 + jr));
    if (type == T_F32 && rows == NR) {
      src = b + <usize>(j0 + jr) * <usize>rowBytes + (<usize>p0 << 2);
      stride = <usize>rowBytes;
    } else {
      src = tmp;
      stride = <usize>kc << 2;
      for (let jj = 0; jj < NR; jj++) {
        const dst = tmp + <usize>jj * stride;
        if (jj < rows) dequantSpan(type, b + <usize>(j0 + jr + jj) * <usize>rowBytes, p0, kc, dst);
        else memory.fill(dst, 0, stride);
      }
    }
    let kk = 0;
    for (; kk + 4 <= kc; kk += 4) {
      const o = <usize>kk << 2;
      const d = bp + (<usize>(kk * NR) << 2);
      transpose4(v128.load(src + o), v128.load(src + stride + o), v128.load(src + 2 * stride + o), v128.load(src + 3 * stride + o), d, 32);
      transpose4(v128.load(src + 4 * stride + o), v128.load(src + 5 * stride + o), v128.load(src + 6 * stride + o), v128.load(src + 7 * stride + o), d + 16, 32);
    }
    for (; kk < kc; kk++) {
      for (let jj = 0; jj < NR; jj++) store<f32>(bp + (<usize>(kk * NR + jj) << 2), load<f32>(src + <usize>jj * stride + (<usize>kk << 2)));
    }
  }
}

/** Mode NN: Bp[panel][kk][NR] ← source row (p0 + kk), values j0 + jr + jj; zero past column jEnd. */
function packBNN(b: usize, type: i32, rowBytes: i32, j0: i32, nc: i32, jEnd: i32, p0: i32, kc: i32, bp: usize, tmp: usize): void {
  const n = min(nc, jEnd - j0);
  const panelBytes = <usize>(kc * NR) << 2;
  for (let kk = 0; kk < kc; kk++) {
    const row = b + <usize>(p0 + kk) * <usize>rowBytes;
    let src: usize;
    if (type == T_F32) src = row + (<usize>j0 << 2);
    else { dequantSpan(type, row, j0, n, tmp); src = tmp; }
    let d = bp + (<usize>(kk * NR) << 2);
    let jr = 0;
    for (; jr + NR <= n; jr += NR, d += panelBytes) {
      v128.store(d, v128.load(src + (<usize>jr << 2)));
      v128.store(d, v128.load(src + (<usize>jr << 2), 16), 16);
    }
    if (jr < nc) {
      for (let jj = 0; jj < NR; jj++) store<f32>(d + (<usize>jj << 2), jr + jj < n ? load<f32>(src + (<usize>(jr + jj) << 2)) : 0);
    }
  }
}

/** ct[MR][NR] = Ap panel (kc × MR) · Bp panel (kc × NR). */
function micro(kc: i32, ap: usize, bp: usize, ct: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++, ap += 16, bp += 32) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load32_splat(ap, 4);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load32_splat(ap, 8);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load32_splat(ap, 12);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
  }
  v128.store(ct, c00, 0); v128.store(ct, c01, 16); v128.store(ct, c10, 32); v128.store(ct, c11, 48);
  v128.store(ct, c20, 64); v128.store(ct, c21, 80); v128.store(ct, c30, 96); v128.store(ct, c31, 112);
}

/** C block (mr × nr at i0, j0) ← alpha·tile (+ beta·C on the first K block, + C on later ones). */
function updateC(ct: usize, c: usize, ldc: i32, i0: i32, j0: i32, mr: i32, nr: i32, alpha: f32, beta: f32, first: bool): void {
  const va = f32x4.splat(alpha);
  const vb = f32x4.splat(beta);
  for (let ii = 0; ii < mr; ii++) {
    const row = c + ((<usize>(i0 + ii) * <usize>ldc + <usize>j0) << 2);
    const t = ct + (<usize>(ii * NR) << 2);
    if (nr == NR) {
      for (let h: usize = 0; h < 32; h += 16) {
        const v = f32x4.mul(v128.load(t + h), va);
        if (!first) v128.store(row + h, f32x4.add(v128.load(row + h), v));
        else if (beta == 0) v128.store(row + h, v);
        else v128.store(row + h, f32x4.add(f32x4.mul(v128.load(row + h), vb), v));
      }
    } else {
      for (let jj = 0; jj < nr; jj++) {
        const p = row + (<usize>jj << 2);
        const v = load<f32>(t + (<usize>jj << 2)) * alpha;
        if (!first) store<f32>(p, load<f32>(p) + v);
        else if (beta == 0) store<f32>(p, v);
        else store<f32>(p, load<f32>(p) * beta + v);
      }
    }
  }
}

/** Σ a[i]·b[i] for i < n, four vector accumulators (fixed order). */
// @ts-ignore: decorator
@inline function dotAcc(a: usize, b: usize, n: i32, acc: v128): v128 {
  let s0 = acc, s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    s0 = madd(v128.load(a + o), v128.load(b + o), s0);
    s1 = madd(v128.load(a + o, 16), v128.load(b + o, 16), s1);
    s2 = madd(v128.load(a + o, 32), v128.load(b + o, 32), s2);
    s3 = madd(v128.load(a + o, 48), v128.load(b + o, 48), s3);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    s0 = madd(v128.load(a + o), v128.load(b + o), s0);
  }
  s0 = f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3));
  let tail: f32 = 0;
  for (; i < n; i++) tail += load<f32>(a + (<usize>i << 2)) * load<f32>(b + (<usize>i << 2));
  return f32x4.add(s0, f32x4.replace_lane(f32x4.splat(0), 0, tail));
}

/** Few rows of A, mode NT: C[i, j] = alpha · dot(A row i, source row j) (+ beta·C), j in [j0, j1). */
function gemvNT(M: i32, K: i32, a: usize, lda: i32, b: usize, type: i32, rowBytes: i32, c: usize, ldc: i32,
  alpha: f32, beta: f32, j0: i32, j1: i32, tmp: usize): void {
  for (let j = j0; j < j1; j++) {
    const row = b + <usize>j * <usize>rowBytes;
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0);
    for (let p0 = 0; p0 < K; p0 += KC) {
      const kc = min(KC, K - p0);
      let w: usize;
      if (type == T_F32) w = row + (<usize>p0 << 2);
      else { dequantSpan(type, row, p0, kc, tmp); w = tmp; }
      const ao = <usize>p0 << 2;
      s0 = dotAcc(a + ao, w, kc, s0);
      if (M > 1) s1 = dotAcc(a + (<usize>lda << 2) + ao, w, kc, s1);
      if (M > 2) s2 = dotAcc(a + (<usize>(2 * lda) << 2) + ao, w, kc, s2);
    }
    for (let i = 0; i < M; i++) {
      const s = i == 0 ? s0 : i == 1 ? s1 : s2;
      const v = alpha * ((f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1)) + (f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3)));
      const p = c + ((<usize>i * <usize>ldc + <usize>j) << 2);
      store<f32>(p, beta == 0 ? v : load<f32>(p) * beta + v);
    }
  }
}

/** Block alignment (in values) that a split of N must keep for this source. */
function nAlign(type: i32, mode: i32): i32 {
  if (mode == MODE_NN && type != T_F32) {
    const bs = blockInfo(type) & 0xffff;
    return bs > 16 ? bs : 16;
  }
  // 16 floats: threads never write the same 64-byte line of C
  return 16;
}

/** Columns of C per chunk (a multiple of nAlign). */
const CHUNK_N: i32 = 128;
/** Rows of C per chunk when C is too narrow to split by columns. */
const CHUNK_M: i32 = 64;
/** Rows of C per chunk otherwise: enough chunks for many threads; each re-packs (dequantizes) its B block once
 *  per this many rows, so it must stay large. */
const CHUNK_M_WIDE: i32 = 256;

/** C is narrow (few column chunks) and tall: cut it by rows only. */
// @ts-ignore: decorator
@inline function splitByRows(M: i32, N: i32, al: i32): bool {
  const w = max(al, CHUNK_N);
  return (N + w - 1) / w < 4 && M >= 4 * CHUNK_M;
}

/**
 * Computes chunks of C = alpha·op(A)·B + beta·C (see the file comment) until none is left. Every thread taking
 * part calls this with the same arguments; `counter` (an i32 in shared memory, 0 at the start of the call) hands
 * out chunk numbers. Chunks are cut by the sizes only, never by the thread count, and never along K, so every
 * element of C is computed in the same order whoever computes it. work: this thread's WORK_BYTES of scratch.
 */
export function gemmChunks(counter: usize, M: i32, N: i32, K: i32, a: usize, aTrans: i32, lda: i32,
  b: usize, type: i32, mode: i32, rowBytes: i32, c: usize, ldc: i32, alpha: f32, beta: f32, work: usize): void {
  const al = nAlign(type, mode);
  const w = max(al, CHUNK_N);
  let h = CHUNK_M_WIDE;
  let nChunks = (N + w - 1) / w;
  if (splitByRows(M, N, al)) { h = CHUNK_M; nChunks = 1; }
  const mChunks = (M + h - 1) / h;
  const cw = nChunks == 1 ? N : w;
  for (;;) {
    const i = atomic.add<i32>(counter, 1);
    if (i >= mChunks * nChunks) return;
    const m0 = (i / nChunks) * h;
    const n0 = (i % nChunks) * cw;
    gemmRange(m0, min(M, m0 + h), n0, min(N, n0 + cw), M, K, a, aTrans, lda, b, type, mode, rowBytes, c, ldc, alpha, beta, work);
  }
}

/** C[m0…m1, n0…n1) (see gemmChunks). */
function gemmRange(m0: i32, m1: i32, n0: i32, n1: i32, M: i32, K: i32, a: usize, aTrans: i32, lda: i32,
  b: usize, type: i32, mode: i32, rowBytes: i32, c: usize, ldc: i32, alpha: f32, beta: f32, work: usize): void {
  const ap = work;
  const bp = ap + AP_BYTES;
  const tmp = bp + BP_BYTES;
  const ct = tmp + TMP_BYTES;
  if (mode == MODE_NT && aTrans == 0 && M == 1 && hasDotRow(type) && (<usize>K >> 5) <= (TMP_BYTES >> 2)) {
    // one token: dot products straight from the quantized rows; tmp holds Σ x per 32-group (K-quant mins)
    groupSums(a, K, tmp);
    for (let j = n0; j < n1; j++) {
      const p = c + (<usize>j << 2);
      const v = alpha * dotRow(type, b + <usize>j * <usize>rowBytes, K, a, tmp);
      store<f32>(p, beta == 0 ? v : load<f32>(p) * beta + v);
    }
    return;
  }
  if (mode == MODE_NT && aTrans == 0 && M <= GEMV_MAX_M) {
    gemvNT(M, K, a, lda, b, type, rowBytes, c, ldc, alpha, beta, n0, n1, tmp);
    return;
  }
  for (let jc = n0; jc < n1; jc += NC) {
    const nc = min(NC, n1 - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      if (mode == MODE_NT) packBNT(b, type, rowBytes, jc, nc, n1, pc, kc, bp, tmp);
      else packBNN(b, type, rowBytes, jc, nc, n1, pc, kc, bp, tmp);
      for (let ic = m0; ic < m1; ic += MC) {
        const mc = min(MC, m1 - ic);
        packA(a, aTrans != 0, lda, ic, mc, m1, pc, kc, ap);
        for (let jr = 0; jr < nc; jr += NR) {
          const bpp = bp + (<usize>((jr / NR) * kc * NR) << 2);
          const nr = min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            micro(kc, ap + (<usize>((ir / MR) * kc * MR) << 2), bpp, ct);
            updateC(ct, c, ldc, ic + ir, jc + jr, min(MR, mc - ir), nr, alpha, beta, pc == 0);
          }
        }
      }
    }
  }
}
