// SwiGLU forward h = silu(g)·u (· mask), SIMD, rows handed out in chunks from a shared counter.
import { exp4 } from './softmax';

const CHUNK_ROWS: i32 = 16;

/** h [rows, cols] ← g/(1 + e^−g) · u (· mask[col] when mask ≠ 0); g and u rows are `stride` floats apart. */
export function swigluChunks(counter: usize, h: usize, g: usize, u: usize, stride: i32, rows: i32, cols: i32, mask: usize): void {
  const chunks = (rows + CHUNK_ROWS - 1) / CHUNK_ROWS;
  const one = f32x4.splat(1);
  for (;;) {
    const c = atomic.add<i32>(counter, 1);
    if (c >= chunks) return;
    for (let t = c * CHUNK_ROWS, e = min(rows, t + CHUNK_ROWS); t < e; t++) {
      const gr = g + ((<usize>t * <usize>stride) << 2);
      const ur = u + ((<usize>t * <usize>stride) << 2);
      const hr = h + ((<usize>t * <usize>cols) << 2);
      let i = 0;
      for (; i + 4 <= cols; i += 4) {
        const o = <usize>i << 2;
        const gv = v128.load(gr + o);
        let v = f32x4.mul(f32x4.div(gv, f32x4.add(one, exp4(f32x4.neg(gv)))), v128.load(ur + o));
        if (mask) v = f32x4.mul(v, v128.load(mask + o));
        v128.store(hr + o, v);
      }
      for (; i < cols; i++) {
        const o = <usize>i << 2;
        const gv = load<f32>(gr + o);
        let v = gv / (1 + f32x4.extract_lane(exp4(f32x4.splat(-gv)), 0)) * load<f32>(ur + o);
        if (mask) v *= load<f32>(mask + o);
        store<f32>(hr + o, v);
      }
    }
  }
}

/** Columns per chunk of the backward: a chunk walks every row, so its mask-gradient sums need no other thread. */
const CHUNK_COLS: i32 = 64;

/**
 * SwiGLU backward on one fused buffer layout: gate at gu + t·stride + i, up at gu + uOff + t·stride + i (floats),
 * dgu the same layout. dh [rows, cols] is the gradient of the (masked) output. dg = d·u·σ(g)·(1 + g·(1 − σ(g))),
 * du = d·silu(g) with d = dh (· mask[i] when mask ≠ 0); dmask[i] += Σ_t dh·silu(g)·u when dmask ≠ 0. Work is cut
 * by columns, so each dmask entry is summed by one thread in row order.
 */
export function swigluBackwardChunks(counter: usize, dgu: usize, dh: usize, gu: usize, uOff: i32, stride: i32, rows: i32,
  cols: i32, mask: usize, dmask: usize): void {
  const chunks = (cols + CHUNK_COLS - 1) / CHUNK_COLS;
  const one = f32x4.splat(1);
  const ub = <usize>uOff << 2;
  for (;;) {
    const c = atomic.add<i32>(counter, 1);
    if (c >= chunks) return;
    const i0 = c * CHUNK_COLS, i1 = min(cols, i0 + CHUNK_COLS);
    let i = i0;
    for (; i + 4 <= i1; i += 4) {
      let acc = f32x4.splat(0);
      const mv = mask ? v128.load(mask + (<usize>i << 2)) : one;
      for (let t = 0; t < rows; t++) {
        const o = ((<usize>t * <usize>stride + <usize>i) << 2);
        const g = v128.load(gu + o);
        const u = v128.load(gu + ub + o);
        const sg = f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(g))));
        const si = f32x4.mul(g, sg);
        let d = v128.load(dh + ((<usize>t * <usize>cols + <usize>i) << 2));
        if (dmask) acc = f32x4.add(acc, f32x4.mul(f32x4.mul(d, si), u));
        if (mask) d = f32x4.mul(d, mv);
        v128.store(dgu + o, f32x4.mul(f32x4.mul(f32x4.mul(d, u), sg), f32x4.add(one, f32x4.mul(g, f32x4.sub(one, sg)))));
        v128.store(dgu + ub + o, f32x4.mul(d, si));
      }
      if (dmask) v128.store(dmask + (<usize>i << 2), f32x4.add(v128.load(dmask + (<usize>i << 2)), acc));
    }
    for (; i < i1; i++) {
      let acc: f32 = 0;
      const mv: f32 = mask ? load<f32>(mask + (<usize>i << 2)) : 1;
      for (let t = 0; t < rows; t++) {
        const o = ((<usize>t * <usize>stride + <usize>i) << 2);
        const g = load<f32>(gu + o);
        const u = load<f32>(gu + ub + o);
        const sg = <f32>1 / (<f32>1 + f32x4.extract_lane(exp4(f32x4.splat(-g)), 0));
        const si = g * sg;
        let d = load<f32>(dh + ((<usize>t * <usize>cols + <usize>i) << 2));
        if (dmask) acc += d * si * u;
        if (mask) d *= mv;
        store<f32>(dgu + o, d * u * sg * (<f32>1 + g * (<f32>1 - sg)));
        store<f32>(dgu + ub + o, d * si);
      }
      if (dmask) store<f32>(dmask + (<usize>i << 2), load<f32>(dmask + (<usize>i << 2)) + acc);
    }
  }
}
