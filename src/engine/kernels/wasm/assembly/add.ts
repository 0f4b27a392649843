// y += x elementwise (the residual adds), SIMD, in chunks of CHUNK floats from a shared counter.

const CHUNK: i32 = 16384;

/** y[i] += x[i] for i < n. */
export function addChunks(counter: usize, y: usize, x: usize, n: i32): void {
  const chunks = (n + CHUNK - 1) / CHUNK;
  for (;;) {
    const c = atomic.add<i32>(counter, 1);
    if (c >= chunks) return;
    const e = min(n, (c + 1) * CHUNK);
    let i = c * CHUNK;
    for (; i + 4 <= e; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, f32x4.add(v128.load(y + o), v128.load(x + o)));
    }
    for (; i < e; i++) {
      const o = <usize>i << 2;
      store<f32>(y + o, load<f32>(y + o) + load<f32>(x + o));
    }
  }
}

/** Zeroes `bytes` bytes at `ptr` (one bulk memory.fill: a typed array's fill on shared memory is several times slower). */
export function zeroBytes(ptr: usize, bytes: usize): void {
  memory.fill(ptr, 0, bytes);
}
