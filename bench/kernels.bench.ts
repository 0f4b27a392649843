// Kernel speed: GFLOP/s of the WASM SIMD kernels against the TypeScript reference, measured side by side.
//   npm run bench kernels            (or: node --import tsx bench/kernels.bench.ts [--quick])
// Shapes: a 512-token prompt through an FFN projection (512×1024 → 2816) and one token (m = 1); weights in F32,
// Q8_0, Q5_0 and Q4_K (and, for the prompt, the integer path with 8-bit activations: rows "int8", ×f = speed against
// the float kernels); 1 and 2 threads. Anchor: llama.cpp's own F32 prompt
// evaluation, measured at about 55 GFLOP/s per thread on the project's 2-core development machine.
import os from 'node:os';
import { createReferenceBackend, createWasmBackend, KERNEL_TYPES as T, type KernelBackend } from '../src/engine/kernels/index.js';
import { randomVector, randomWeight } from '../tests/unit/kernels/randomWeights.js';

const quick = process.argv.includes('--quick');
const COLS = 1024;
const ROWS = 2816;
const LLAMA_CPP_F32_PER_THREAD = 55;

/** Seconds per call: the fastest of the calls made within minMs (after one warm-up). The machines this runs on
 *  are shared, so the fastest call is the best estimate of what the kernel itself costs. */
function time(fn: () => void, minMs: number): number {
  fn();
  let best = Infinity;
  const t0 = performance.now();
  let reps = 0;
  while (reps < 3 || performance.now() - t0 < minMs) {
    const t = performance.now();
    fn();
    best = Math.min(best, performance.now() - t);
    reps++;
  }
  return best / 1000;
}

/** Like time(), for several functions measured in turns (one call each per round), so that a busy spell on the
 *  machine hits them alike and their ratios stay fair. */
function timeTurns(fns: Array<() => void>, minMs: number): number[] {
  for (const f of fns) f();
  const best = fns.map(() => Infinity);
  const t0 = performance.now();
  for (let round = 0; round < 3 || performance.now() - t0 < minMs; round++) {
    fns.forEach((f, i) => {
      const t = performance.now();
      f();
      best[i] = Math.min(best[i], performance.now() - t);
    });
  }
  return best.map((b) => b / 1000);
}

const ref = createReferenceBackend();
const threadCounts = [...new Set([1, 2, Math.min(os.availableParallelism(), 4)])].filter((n) => n <= Math.max(2, os.availableParallelism()));
const backends = new Map<number, KernelBackend>();
for (const n of threadCounts) backends.set(n, await createWasmBackend({ threads: n }));

console.log(`cpus ${os.availableParallelism()}; matmul y[m, ${ROWS}] = x[m, ${COLS}] · Wᵀ; GFLOP/s = 2·m·${COLS}·${ROWS} / s`);
const rows: string[][] = [['weights', 'm', 'reference', ...threadCounts.map((n) => `wasm ${n}t`), ...threadCounts.map((n) => `×ref ${n}t`), `2t/1t`]];
for (const [name, type] of [['F32', T.F32], ['Q8_0', T.Q8_0], ['Q5_0', T.Q5_0], ['Q4_K', T.Q4_K]] as const) {
  const bytes = randomWeight(type, COLS, ROWS, 1);
  // Q8_0 values as llama.cpp's quantizer writes them (−127…127): random bytes would hold −128, which sends the
  // integer path to its slower 16-bit dot
  if (type === T.Q8_0) for (let b = 0; b < bytes.length; b += 34) for (let i = b + 2; i < b + 34; i++) if (bytes[i] === 0x80) bytes[i] = 0x81;
  for (const m of [512, 1]) {
    const flops = 2 * m * COLS * ROWS;
    const x = randomVector(m * COLS, 2);
    const wr = ref.uploadWeight(type, bytes, COLS, ROWS);
    // The reference takes seconds at m = 512: one call (plus warm-up) is enough to know its speed.
    const refS = quick && m > 1 ? NaN : time(() => ref.matmul(x, wr, m), m > 1 ? 0 : 300);
    ref.freeWeight(wr);
    const ws = threadCounts.map((n) => backends.get(n)!.uploadWeight(type, bytes, COLS, ROWS));
    const y = new Float32Array(m * ROWS);
    const fast = timeTurns(threadCounts.map((n, i) => () => { backends.get(n)!.matmul(x, ws[i], m, y); }), quick ? 600 : 2000);
    const g = (s: number): string => (flops / s / 1e9).toFixed(1);
    rows.push([name, String(m), g(refS), ...fast.map(g), ...fast.map((s) => (refS / s).toFixed(0)), (fast[0] / fast[1]).toFixed(2)]);
    if (type !== T.F32 && m > 3) {
      // llama.cpp's way: activations quantized to 8 bits, integer dot products (matmulRounded); ×ref: against the
      // float kernels on the same thread count
      const int = timeTurns(threadCounts.map((n, i) => () => { backends.get(n)!.matmulRounded(x, ws[i], m, y); }), quick ? 600 : 2000);
      rows.push([`${name} int8`, String(m), '', ...int.map(g), ...int.map((s, i) => `${(fast[i] / s).toFixed(2)}×f`), (int[0] / int[1]).toFixed(2)]);
    }
    threadCounts.forEach((n, i) => backends.get(n)!.freeWeight(ws[i]));
  }
}

// Training shapes, F32: backward to the input (dx = dy·W) and the dense gemm of a weight gradient (dW = dyᵀ·x).
{
  const m = 512;
  const flops = 2 * m * COLS * ROWS;
  const bytes = randomWeight(T.F32, COLS, ROWS, 3);
  const dy = randomVector(m * ROWS, 4);
  const x = randomVector(m * COLS, 5);
  for (const n of threadCounts) {
    const be = backends.get(n)!;
    const w = be.uploadWeight(T.F32, bytes, COLS, ROWS);
    const sB = time(() => be.matmulBackwardInput(dy, w, m), quick ? 300 : 1000);
    const dW = new Float32Array(ROWS * COLS);
    const sG = time(() => be.gemm(true, false, ROWS, COLS, m, 1, dy, x, 0, dW), quick ? 300 : 1000);
    be.freeWeight(w);
    console.log(`${n}t: matmulBackwardInput F32 m=512 ${(flops / sB / 1e9).toFixed(1)} GFLOP/s; gemm dW=dyᵀ·x ${(flops / sG / 1e9).toFixed(1)} GFLOP/s`);
  }
}

// Attention softmax, one head of a 512-token prompt: causal rows of S [512, 512].
{
  const T2 = 512;
  const s0 = randomVector(T2 * T2, 6);
  const work = s0.slice();
  const refS = time(() => { work.set(s0); ref.softmax(work, T2, T2, true); }, quick ? 200 : 500);
  const line = threadCounts.map((n) => {
    const be = backends.get(n)!;
    const sec = time(() => { work.set(s0); be.softmax(work, T2, T2, true); }, quick ? 200 : 500);
    return `${n}t ${(sec * 1e3).toFixed(2)} ms (×${(refS / sec).toFixed(1)})`;
  });
  console.log(`causal softmax 512×512: reference ${(refS * 1e3).toFixed(2)} ms; wasm ${line.join(', ')}`);
}

// SwiGLU of a 512-token FFN: h [512, 2816] = silu(g) · u.
{
  const F = ROWS, N = 512;
  const g = randomVector(N * F, 7), u = randomVector(N * F, 8), h = new Float32Array(N * F);
  const refS = time(() => ref.swiglu(h, g, 0, u, 0, F, N, F), quick ? 200 : 500);
  const [s1, s2] = timeTurns(threadCounts.slice(0, 2).map((n) => () => backends.get(n)!.swiglu(h, g, 0, u, 0, F, N, F)), quick ? 200 : 500);
  console.log(`swiglu 512×2816: reference ${(refS * 1e3).toFixed(2)} ms; wasm 1t ${(s1 * 1e3).toFixed(2)} ms (×${(refS / s1).toFixed(1)}), ` +
    `2t ${(s2 * 1e3).toFixed(2)} ms (×${(refS / s2).toFixed(1)})`);
}

const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
for (const r of rows) console.log(r.map((c, i) => c.padStart(widths[i])).join('  '));
const f32 = rows.find((r) => r[0] === 'F32' && r[1] === '512')!;
console.log(`F32 m=512, 1 thread vs llama.cpp's ${LLAMA_CPP_F32_PER_THREAD} GFLOP/s per thread (measured on the 2-core development machine): ${(Number(f32[3]) / LLAMA_CPP_F32_PER_THREAD).toFixed(2)}`);
for (const be of backends.values()) be.dispose();
