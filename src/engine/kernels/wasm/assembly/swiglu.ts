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
