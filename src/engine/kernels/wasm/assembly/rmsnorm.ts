// RMSNorm forward with llama.cpp's rounding steps, rows handed out in chunks from a shared counter (each row is
// computed whole by one thread, in a fixed order, so the result does not depend on the thread count).

const CHUNK_ROWS: i32 = 8;

/**
 * out[t] = f32(x[t]·r)·w, r = 1/sqrt(f32(Σ x² / cols) + eps) in f32 steps, the sum of the exact squares in f64
 * (one order: left to right); rstd[t] = r. x, out [rows, cols]; w [cols]; rstd [rows].
 */
export function rmsnormChunks(counter: usize, out: usize, rstd: usize, x: usize, w: usize, rows: i32, cols: i32, eps: f32): void {
  const chunks = (rows + CHUNK_ROWS - 1) / CHUNK_ROWS;
  for (;;) {
    const c = atomic.add<i32>(counter, 1);
    if (c >= chunks) return;
    for (let t = c * CHUNK_ROWS, e = min(rows, t + CHUNK_ROWS); t < e; t++) {
      const xr = x + ((<usize>t * <usize>cols) << 2);
      const yr = out + ((<usize>t * <usize>cols) << 2);
      let ss: f64 = 0;
      for (let i = 0; i < cols; i++) {
        const v = <f64>load<f32>(xr + (<usize>i << 2));
        ss += v * v;
      }
      const r: f32 = <f32>1 / sqrt<f32>(<f32>(ss / <f64>cols) + eps);
      store<f32>(rstd + (<usize>t << 2), r);
      const vr = f32x4.splat(r);
      let i = 0;
      for (; i + 4 <= cols; i += 4) {
        const o = <usize>i << 2;
        v128.store(yr + o, f32x4.mul(f32x4.mul(v128.load(xr + o), vr), v128.load(w + o)));
      }
      for (; i < cols; i++) {
        const o = <usize>i << 2;
        store<f32>(yr + o, (load<f32>(xr + o) * r) * load<f32>(w + o));
      }
    }
  }
}
