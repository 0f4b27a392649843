import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createWasmBackend, KernelArgumentError, KernelDisposedError, KernelOutOfMemoryError,
  KERNEL_TYPES as T, WasmBackend, type KernelBackend,
} from '../../../src/engine/kernels/index.js';
import { backendsUnderTest } from './backendsUnderTest.js';
import { randomVector, randomWeight } from './randomWeights.js';

const { ref, fast, plain } = backendsUnderTest();

/** |fast − ref| ≤ tol · Σ|a·b| for each output (the bound on rounding error of any summation order). */
function assertClose(got: Float32Array, want: Float32Array, bound: Float32Array, what: string, tol = 2e-5): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < got.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (!(err <= tol * bound[i] + 1e-30)) assert.fail(`${what}: element ${i}: ${got[i]} vs ${want[i]} (bound ${bound[i]})`);
  }
}

/** dense W [rows, cols] as the reference reads it */
function dequantized(w: ReturnType<KernelBackend['uploadWeight']>): Float32Array {
  const eye = new Float32Array(w.cols * w.cols);
  for (let i = 0; i < w.cols; i++) eye[i * w.cols + i] = 1;
  const t = ref.matmul(eye, w, w.cols); // [cols, rows] = Wᵀ
  const out = new Float32Array(w.rows * w.cols);
  for (let c = 0; c < w.cols; c++) for (let r = 0; r < w.rows; r++) out[r * w.cols + c] = t[c * w.rows + r];
  return out;
}
const abs = (a: Float32Array): Float32Array => a.map(Math.abs);

const SHAPES: Record<string, Array<[number, number]>> = {
  // [cols, rows]: odd rows, cols not a multiple of 4 or 8 where the type allows, more than one K block (256)
  F32: [[37, 5], [301, 19], [520, 600]],
  F16: [[45, 13], [300, 9]],
  BF16: [[45, 13], [300, 9]],
  Q8_0: [[96, 37], [544, 11]],
  Q4_0: [[96, 37], [544, 11]],
  Q5_0: [[96, 37], [544, 11]],
  Q4_K: [[256, 37], [512, 9]],
  Q5_K: [[256, 37], [512, 9]],
  Q6_K: [[256, 37], [512, 9]],
};

for (const [name, shapes] of Object.entries(SHAPES)) {
  const type = T[name as keyof typeof T];
  test(`matmul and matmulBackwardInput match the reference for ${name}`, () => {
    let seed = type * 100;
    for (const [cols, rows] of shapes) {
      const bytes = randomWeight(type, cols, rows, ++seed);
      const wr = ref.uploadWeight(type, bytes, cols, rows);
      const wAbs = ref.uploadWeight(T.F32, new Uint8Array(abs(dequantized(wr)).buffer), cols, rows);
      for (const m of [1, 2, 3, 17]) {
        const x = randomVector(m * cols, ++seed);
        const dy = randomVector(m * rows, ++seed);
        const y = ref.matmul(x, wr, m);
        const yBound = ref.matmul(abs(x), wAbs, m);
        const dx = ref.matmulBackwardInput(dy, wr, m);
        const dxBound = ref.matmulBackwardInput(abs(dy), wAbs, m);
        for (const [threads, be] of [...fast, [2, plain()] as const]) {
          const w = be.uploadWeight(type, bytes, cols, rows);
          const what = `${name} [${cols}, ${rows}] m=${m} threads=${threads} ${be.name}`;
          assertClose(be.matmul(x, w, m), y, yBound, `matmul ${what}`);
          assertClose(be.matmulBackwardInput(dy, w, m), dx, dxBound, `backward ${what}`);
          be.freeWeight(w);
        }
      }
    }
  });
}

test('gemm matches the reference for every transpose pair, alpha and beta, odd sizes', () => {
  let seed = 7;
  // [300, 520, ·] is cut in row and column chunks, [400, 40, ·] in row chunks only, [5, 600, 260] in column chunks
  for (const [m, n, k] of [[1, 1, 1], [3, 5, 7], [17, 33, 300], [70, 6, 9], [5, 600, 260], [64, 64, 64], [300, 520, 10], [400, 40, 3]]) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const beta of [0, 0.75]) {
          const a = randomVector(m * k, ++seed);
          const b = randomVector(k * n, ++seed);
          const c0 = randomVector(m * n, ++seed);
          const want = c0.slice();
          ref.gemm(transA, transB, m, n, k, 0.5, a, b, beta, want);
          const bound = new Float32Array(m * n).fill(beta === 0 ? 0 : 0);
          ref.gemm(transA, transB, m, n, k, 0.5, abs(a), abs(b), 0, bound);
          for (let i = 0; i < bound.length; i++) bound[i] += Math.abs(beta * c0[i]);
          for (const [threads, be] of fast) {
            const got = beta === 0 ? new Float32Array(m * n).fill(NaN) : c0.slice();
            be.gemm(transA, transB, m, n, k, 0.5, a, b, beta, got);
            assertClose(got, want, bound, `gemm ${m}x${n}x${k} tA=${transA} tB=${transB} beta=${beta} threads=${threads}`);
          }
        }
      }
    }
  }
});

test('the relaxed-SIMD kernels start on request on every Node the project runs on (Node 20 turns on its V8 flag); auto takes them only where the i8 dot is one instruction', async () => {
  const be = await WasmBackend.create({ threads: 2, simd: 'relaxed' });
  const auto = await WasmBackend.create({ threads: 1 });
  try {
    assert.equal(be.name, 'wasm-simd-fma');
    // Node 20 lowers the relaxed i8 dot to two multiplies (and has relaxed SIMD only behind its flag): plain there
    if (process.versions.node.startsWith('20.')) assert.equal(be.fastI8Dot, false);
    assert.equal(auto.simd, be.fastI8Dot && !process.versions.node.startsWith('20.') ? 'relaxed' : 'plain');
    assert.equal(auto.fastI8Dot, auto.simd === 'relaxed');
  } finally {
    be.dispose();
    auto.dispose();
  }
});

test('results are bit-identical from call to call and backend to backend for a fixed thread count', async () => {
  const other = await createWasmBackend({ threads: 2, parallelThreshold: 0 });
  try {
    const bytes = randomWeight(T.Q4_K, 512, 300, 1);
    const x = randomVector(40 * 512, 2);
    const w1 = fast.get(2)!.uploadWeight(T.Q4_K, bytes, 512, 300);
    const w2 = other.uploadWeight(T.Q4_K, bytes, 512, 300);
    const a = fast.get(2)!.matmul(x, w1, 40);
    const b = fast.get(2)!.matmul(x, w1, 40);
    const c = other.matmul(x, w2, 40);
    assert.deepEqual(new Uint32Array(b.buffer), new Uint32Array(a.buffer));
    assert.deepEqual(new Uint32Array(c.buffer), new Uint32Array(a.buffer));
    fast.get(2)!.freeWeight(w1);
  } finally {
    other.dispose();
  }
});

test('many back-to-back calls on 2 and 3 threads give the same bits as on 1 thread (chunks fixed by sizes)', async () => {
  // Calls alternate between shapes so that a worker reading a stale call's arguments would show; 3 threads on a
  // 2-core machine also exercises workers that join late or not at all.
  const one = fast.get(1)!;
  const three = await createWasmBackend({ threads: 3, parallelThreshold: 0 });
  try {
    for (const two of [fast.get(2)!, three]) backToBack(one, two);
  } finally {
    three.dispose();
  }
});

function backToBack(one: KernelBackend, two: KernelBackend): void {
  const bytes = randomWeight(T.Q8_0, 320, 300, 9);
  const w1 = one.uploadWeight(T.Q8_0, bytes, 320, 300), w2 = two.uploadWeight(T.Q8_0, bytes, 320, 300);
  const b = randomVector(300 * 40, 10);
  for (let i = 0; i < 60; i++) {
    const m = 1 + (i * 7) % 23;
    const x = randomVector(m * 320, 100 + i);
    const dy = randomVector(m * 300, 200 + i);
    assert.deepEqual(new Uint32Array(two.matmul(x, w2, m).buffer), new Uint32Array(one.matmul(x, w1, m).buffer), `matmul ${i}`);
    assert.deepEqual(new Uint32Array(two.matmulBackwardInput(dy, w2, m).buffer), new Uint32Array(one.matmulBackwardInput(dy, w1, m).buffer), `backward ${i}`);
    const c1 = new Float32Array(m * 300), c2 = new Float32Array(m * 300);
    one.gemm(false, true, m, 300, 40, 1, x, b, 0, c1);
    two.gemm(false, true, m, 300, 40, 1, x, b, 0, c2);
    assert.deepEqual(new Uint32Array(c2.buffer), new Uint32Array(c1.buffer), `gemm ${i}`);
  }
  one.freeWeight(w1); two.freeWeight(w2);
}

test('memory grows as weights are uploaded and freed space is reused', async () => {
  const be = (await createWasmBackend({ threads: 2, parallelThreshold: 0 })) as WasmBackend;
  try {
    const cols = 1024, rows = 2048; // 8 MiB each in F32
    const bytes = randomWeight(T.F32, cols, rows, 3);
    const ws = Array.from({ length: 4 }, () => be.uploadWeight(T.F32, bytes, cols, rows));
    const x = randomVector(5 * cols, 4);
    const first = be.matmul(x, ws[0], 5);
    assert.deepEqual(be.matmul(x, ws[3], 5), first);
    const inUse = be.memoryInUse;
    be.freeWeight(ws[1]);
    const again = be.uploadWeight(T.F32, bytes, cols, rows);
    assert.equal(be.memoryInUse, inUse);
    assert.deepEqual(be.matmul(x, again, 5), first);
  } finally {
    be.dispose();
  }
  const small = await createWasmBackend({ threads: 1, maxMemoryMiB: 16 });
  try {
    assert.throws(() => small.uploadWeight(T.F32, new Uint8Array(32 * 2 ** 20), 4096, 2048), KernelOutOfMemoryError);
  } finally {
    small.dispose();
  }
});

test('arrays from allocF32 are used in place and give the same bits as copied arrays, across memory growth', async () => {
  const be = (await createWasmBackend({ threads: 2, parallelThreshold: 0 })) as WasmBackend;
  try {
    const cols = 64, rows = 40, m = 9;
    const bytes = randomWeight(T.Q8_0, cols, rows, 21);
    const w = be.uploadWeight(T.Q8_0, bytes, cols, rows);
    const x = randomVector(m * cols, 22);
    const xr = be.allocF32(m * cols);
    assert.ok(xr.every((v) => v === 0));
    xr.set(x);
    const yr = be.allocF32(m * rows);
    // Grow the memory after the views were made: they must stay valid.
    const big = be.uploadWeight(T.F32, new Uint8Array(64 * 2 ** 20), 4096, 4096);
    const want = be.matmul(x, w, m);
    assert.equal(be.matmul(xr, w, m, yr), yr);
    assert.deepEqual(new Uint32Array(yr.buffer, yr.byteOffset, yr.length), new Uint32Array(want.buffer));
    const dx = be.allocF32(m * cols);
    be.matmulBackwardInput(yr, w, m, dx);
    assert.deepEqual(dx, be.matmulBackwardInput(want, w, m));
    // gemm with C overlapping A (in place): the result must be as if A had been read first.
    const a = be.allocF32(300 * 300);
    a.set(randomVector(300 * 300, 23));
    const b = randomVector(300 * 300, 24);
    const c = a.slice();
    be.gemm(false, false, 300, 300, 300, 1, c.slice(), b, 0, c);
    be.gemm(false, false, 300, 300, 300, 1, a, b, 0, a);
    assert.deepEqual(a, c);
    be.freeF32(xr); be.freeF32(yr); be.freeF32(dx); be.freeF32(a);
    be.freeWeight(big);
  } finally {
    be.dispose();
  }
});

test('bad arguments throw; dispose stops the workers and later calls throw', async () => {
  const be = (await createWasmBackend({ threads: 2, parallelThreshold: 0 })) as WasmBackend;
  assert.throws(() => be.uploadWeight(T.Q4_K, new Uint8Array(144), 128, 1), KernelArgumentError);
  const w = be.uploadWeight(T.F32, new Uint8Array(16), 4, 1);
  assert.throws(() => be.matmul(new Float32Array(3), w, 1), KernelArgumentError);
  assert.throws(() => fast.get(1)!.matmul(new Float32Array(4), w, 1), KernelArgumentError);
  be.dispose();
  await be.closed;
  assert.throws(() => be.matmul(new Float32Array(4), w, 1), KernelDisposedError);
  be.freeWeight(w); // a model freed after its backend: nothing left to do, no error
});
