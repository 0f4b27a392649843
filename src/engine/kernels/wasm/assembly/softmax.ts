// Row softmax and its backward, SIMD, rows handed out in chunks from a shared counter (each row is computed
// whole by one thread, so the result does not depend on the thread count).
import { madd } from './madd';

const CHUNK_ROWS: i32 = 16;

/** e^x on 4 lanes (Cephes expf polynomial, about 1 ulp); inputs below −87.3 give 0, NaN stays NaN. */
// @ts-ignore: decorator
@inline export function exp4(x: v128): v128 {
  const tiny = f32x4.lt(x, f32x4.splat(-87.3));
  x = f32x4.max(f32x4.min(x, f32x4.splat(88.3)), f32x4.splat(-87.3));
  const n = f32x4.floor(madd(x, f32x4.splat(1.44269504088896341), f32x4.splat(0.5)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  const z = f32x4.mul(r, r);
  let y = f32x4.splat(1.9875691500e-4);
  y = madd(y, r, f32x4.splat(1.3981999507e-3));
  y = madd(y, r, f32x4.splat(8.3334519073e-3));
  y = madd(y, r, f32x4.splat(4.1665795894e-2));
  y = madd(y, r, f32x4.splat(1.6666665459e-1));
  y = madd(y, r, f32x4.splat(5.0000001201e-1));
  y = f32x4.add(madd(y, z, r), f32x4.splat(1));
  const pow2 = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(y, pow2), tiny);
}

/** Valid columns of row i: all, or (causal) those ≤ i + cols − rows. */
// @ts-ignore: decorator
@inline function validCols(i: i32, rows: i32, cols: i32, causal: i32): i32 {
  return causal ? max(0, min(cols, i + 1 + cols - rows)) : cols;
}

function softmaxRow(p: usize, n: i32, cols: i32): void {
  let mx = f32x4.splat(-Infinity);
  let j = 0;
  for (; j + 4 <= n; j += 4) mx = f32x4.max(mx, v128.load(p + (<usize>j << 2)));
  let m = max(max(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)), max(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)));
  for (; j < n; j++) m = max(m, load<f32>(p + (<usize>j << 2)));
  // a row of −∞ (nothing to attend to) stays finite: every value becomes 0 below
  if (m == -Infinity) m = 0;
  const vm = f32x4.splat(m);
  let s = f32x4.splat(0);
  j = 0;
  for (; j + 4 <= n; j += 4) {
    const e = exp4(f32x4.sub(v128.load(p + (<usize>j << 2)), vm));
    v128.store(p + (<usize>j << 2), e);
    s = f32x4.add(s, e);
  }
  let sum = (f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1)) + (f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3));
  for (; j < n; j++) {
    const e = f32x4.extract_lane(exp4(f32x4.splat(load<f32>(p + (<usize>j << 2)) - m)), 0);
    store<f32>(p + (<usize>j << 2), e);
    sum += e;
  }
  const inv = f32x4.splat(sum > 0 ? <f32>1 / sum : 0);
  j = 0;
  for (; j + 4 <= n; j += 4) v128.store(p + (<usize>j << 2), f32x4.mul(v128.load(p + (<usize>j << 2)), inv));
  for (; j < n; j++) store<f32>(p + (<usize>j << 2), load<f32>(p + (<usize>j << 2)) * f32x4.extract_lane(inv, 0));
  if (n < cols) memory.fill(p + (<usize>n << 2), 0, <usize>(cols - n) << 2);
}

/** In place: each row of x [rows, cols] → softmax of its valid columns, 0 elsewhere. */
export function softmaxChunks(counter: usize, x: usize, rows: i32, cols: i32, causal: i32): void {
  const chunks = (rows + CHUNK_ROWS - 1) / CHUNK_ROWS;
  for (;;) {
    const c = atomic.add<i32>(counter, 1);
    if (c >= chunks) return;
    for (let i = c * CHUNK_ROWS, e = min(rows, i + CHUNK_ROWS); i < e; i++) {
      softmaxRow(x + ((<usize>i * <usize>cols) << 2), validCols(i, rows, cols, causal), cols);
    }
  }
}

/** In place: dp [rows, cols] → p ⊙ (dp − Σ_j p·dp), the gradient w.r.t. the softmax input. */
export function softmaxBackwardChunks(counter: usize, p: usize, dp: usize, rows: i32, cols: i32): void {
  const chunks = (rows + CHUNK_ROWS - 1) / CHUNK_ROWS;
  for (;;) {
    const c = atomic.add<i32>(counter, 1);
    if (c >= chunks) return;
    for (let i = c * CHUNK_ROWS, e = min(rows, i + CHUNK_ROWS); i < e; i++) {
      const pr = p + ((<usize>i * <usize>cols) << 2);
      const dr = dp + ((<usize>i * <usize>cols) << 2);
      let s = f32x4.splat(0);
      let j = 0;
      for (; j + 4 <= cols; j += 4) s = madd(v128.load(pr + (<usize>j << 2)), v128.load(dr + (<usize>j << 2)), s);
      let dot = (f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1)) + (f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3));
      for (; j < cols; j++) dot += load<f32>(pr + (<usize>j << 2)) * load<f32>(dr + (<usize>j << 2));
      const vd = f32x4.splat(dot);
      j = 0;
      for (; j + 4 <= cols; j += 4) {
        const o = <usize>j << 2;
        v128.store(dr + o, f32x4.mul(v128.load(pr + o), f32x4.sub(v128.load(dr + o), vd)));
      }
      for (; j < cols; j++) {
        const o = <usize>j << 2;
        store<f32>(dr + o, load<f32>(pr + o) * (load<f32>(dr + o) - dot));
      }
    }
  }
}
