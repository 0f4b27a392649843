// Rotary position embedding in place, rows (tokens) handed out in chunks from a shared counter. Each rotation is
// computed in f64 and rounded once to f32 — what the TypeScript op computes — so the kernel and the reference
// agree to the bit, whatever the thread count.

const CHUNK_ROWS: i32 = 16;

/**
 * x [rows, nHeads·headDim]: the first 2·half values of every head rotate by the angle of (pos[t], pair i):
 * cos/sin [maxPos, half] tables; pairs (2i, 2i+1) (NORM) or (i, i + half) (NEOX, neox ≠ 0); inverse ≠ 0 rotates
 * by the opposite angle (the backward). pos: i32 [rows].
 */
export function ropeChunks(counter: usize, x: usize, rows: i32, nHeads: i32, headDim: i32, pos: usize, cos: usize,
  sin: usize, half: i32, neox: i32, inverse: i32): void {
  const chunks = (rows + CHUNK_ROWS - 1) / CHUNK_ROWS;
  const sgn: f64 = inverse ? -1 : 1;
  // element distance inside a pair, and between consecutive pairs (bytes)
  const pairGap: usize = neox ? <usize>half << 2 : 4;
  const step: usize = neox ? 4 : 8;
  for (;;) {
    const c = atomic.add<i32>(counter, 1);
    if (c >= chunks) return;
    for (let t = c * CHUNK_ROWS, e = min(rows, t + CHUNK_ROWS); t < e; t++) {
      const tb = <usize>load<i32>(pos + (<usize>t << 2)) * <usize>half;
      const cr = cos + (tb << 2);
      const sr = sin + (tb << 2);
      for (let h = 0; h < nHeads; h++) {
        let a = x + ((<usize>t * <usize>nHeads + <usize>h) * <usize>headDim << 2);
        for (let i = 0; i < half; i++, a += step) {
          const co = <f64>load<f32>(cr + (<usize>i << 2));
          const si = sgn * <f64>load<f32>(sr + (<usize>i << 2));
          const x0 = <f64>load<f32>(a);
          const x1 = <f64>load<f32>(a + pairGap);
          store<f32>(a, <f32>(x0 * co - x1 * si));
          store<f32>(a + pairGap, <f32>(x0 * si + x1 * co));
        }
      }
    }
  }
}
