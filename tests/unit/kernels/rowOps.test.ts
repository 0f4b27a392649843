// The row-wise ops of the forward and backward on the kernels (RMSNorm, RoPE, residual add, SwiGLU backward, the
// accumulating transposed product) against the reference twin: odd sizes, 1–3 threads, plain and relaxed SIMD.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createWasmBackend, type KernelBackend } from '../../../src/engine/kernels/index.js';
import { ropeTable } from '../../../src/engine/model/ops/rope.js';
import { GGML_TYPE } from '../../../src/engine/quant/index.js';
import { backendsUnderTest } from './backendsUnderTest.js';
import { randomVector, randomWeight } from './randomWeights.js';

const { ref, fast, plain } = backendsUnderTest();
let three: KernelBackend | undefined;
before(async () => { three = await createWasmBackend({ threads: 3, parallelThreshold: 0 }); });
after(() => three?.dispose());
/** every WASM backend under test: 1, 2 and 3 threads, and the plain-SIMD build */
const backends = (): Array<[string, KernelBackend]> =>
  [...[...fast].map(([t, b]): [string, KernelBackend] => [`${t} threads`, b]), ['3 threads', three!], ['plain SIMD', plain()]];

function close(got: Float32Array, want: Float32Array, what: string, rel: number, abs: number): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= abs + rel * Math.abs(want[i]))) assert.fail(`${what}: element ${i}: ${got[i]} vs ${want[i]}`);
  }
}

test('reference rmsnorm on a hand-computed row: x / sqrt(mean(x²) + eps) · w', () => {
  const out = new Float32Array(4), rstd = new Float32Array(1);
  ref.rmsnorm(out, rstd, new Float32Array([1, -1, 1, -1]), new Float32Array([1, 2, 3, 0.5]), 1, 4, 0);
  assert.deepEqual([...out], [1, -2, 3, -0.5]);
  assert.equal(rstd[0], 1);
});

test('rmsnorm equals the reference to the bit: odd widths, many rows, large and tiny values', () => {
  let seed = 10;
  for (const [rows, cols] of [[1, 1], [3, 7], [17, 45], [40, 256], [9, 1027]]) {
    const x = randomVector(rows * cols, ++seed).map((v, i) => (i % 7 === 2 ? v * 1e3 : i % 5 === 1 ? v * 1e-4 : v));
    const w = randomVector(cols, ++seed);
    const want = new Float32Array(rows * cols), wantR = new Float32Array(rows);
    ref.rmsnorm(want, wantR, x, w, rows, cols, 1e-5);
    for (const [name, be] of backends()) {
      const got = new Float32Array(rows * cols).fill(NaN), r = new Float32Array(rows).fill(NaN);
      be.rmsnorm(got, r, x, w, rows, cols, 1e-5);
      assert.deepEqual(got, want, `rmsnorm ${rows}x${cols} ${name}`);
      assert.deepEqual(r, wantR, `rstd ${rows}x${cols} ${name}`);
    }
  }
});

test('reference rope: NORM turns pair (0, 1), NEOX pair (0, half); inverse undoes it', () => {
  const t = ropeTable(4, 10000, 2);
  const pos = Int32Array.from([1]);
  for (const mode of ['norm', 'neox'] as const) {
    const x = new Float32Array([1, 0, 0, 0]);
    ref.rope(x, 1, 1, 4, pos, t.cos, t.sin, 2, mode);
    const j = mode === 'norm' ? 1 : 2; // where the first value's partner sits
    assert.ok(Math.abs(x[0] - Math.cos(1)) < 1e-7 && Math.abs(x[j] - Math.sin(1)) < 1e-7, `${mode}: ${[...x]}`);
    ref.rope(x, 1, 1, 4, pos, t.cos, t.sin, 2, mode, true);
    assert.ok(Math.abs(x[0] - 1) < 1e-7 && Math.abs(x[j]) < 1e-7, `${mode} inverse: ${[...x]}`);
  }
});

test('rope equals the reference to the bit: NORM and NEOX, partial rotation, frequency factors, inverse, odd sizes', () => {
  let seed = 30;
  for (const [rows, heads, headDim, dims] of [[1, 1, 2, 2], [5, 3, 8, 8], [17, 4, 64, 64], [33, 5, 96, 32], [3, 2, 16, 12]]) {
    const half = dims >> 1;
    const factors = seed % 2 ? Float32Array.from({ length: half }, (_, i) => 1 + i / 3) : undefined;
    const t = ropeTable(dims, 10000, 64, factors);
    // positions of two sequences packed in one batch, as the engine passes them
    const pos = Int32Array.from({ length: rows }, (_, i) => (i < rows / 2 ? i : i - Math.floor(rows / 2)) + 3 * (i % 2));
    for (const mode of ['norm', 'neox'] as const) {
      for (const inverse of [false, true]) {
        const x = randomVector(rows * heads * headDim, ++seed);
        const want = x.slice();
        ref.rope(want, rows, heads, headDim, pos, t.cos, t.sin, half, mode, inverse);
        for (const [name, be] of backends()) {
          const got = x.slice();
          be.rope(got, rows, heads, headDim, pos, t.cos, t.sin, half, mode, inverse);
          assert.deepEqual(got, want, `rope ${rows}x${heads}x${headDim} dims ${dims} ${mode} inverse=${inverse} ${name}`);
        }
      }
    }
  }
});

test('add equals the reference (y += x), including sizes that are not multiples of the SIMD width or chunk', () => {
  let seed = 60;
  for (const n of [1, 3, 17, 4099, 40000]) {
    const y = randomVector(n, ++seed), x = randomVector(n, ++seed);
    const want = y.slice();
    ref.add(want, x, n);
    for (const [name, be] of backends()) {
      const got = y.slice();
      be.add(got, x, n);
      assert.deepEqual(got, want, `add ${n} ${name}`);
    }
  }
});

test('swigluBackward matches the reference and finite differences of swiglu: fused and planar layouts, masks, mask gradients', () => {
  let seed = 80;
  for (const [rows, cols] of [[1, 1], [3, 7], [17, 45], [40, 130]]) {
    for (const fused of [false, true]) {
      for (const masked of [false, true]) {
        // phi3: rows of [gate | up]; llama: all gate rows, then all up rows
        const [uOff, stride] = fused ? [cols, 2 * cols] : [rows * cols, cols];
        const n = 2 * rows * cols;
        const gu = randomVector(n, ++seed).map((v) => v * 4);
        const dh = randomVector(rows * cols, ++seed);
        const mask = masked ? randomVector(cols, ++seed).map((v) => (v > 0 ? 1 : 0)) : null;
        const want = new Float32Array(n), wantM = randomVector(cols, ++seed);
        const dmask0 = wantM.slice();
        ref.swigluBackward(want, dh, gu, uOff, stride, rows, cols, mask, wantM);
        for (const [name, be] of backends()) {
          const got = new Float32Array(n).fill(NaN), dm = dmask0.slice();
          be.swigluBackward(got, dh, gu, uOff, stride, rows, cols, mask, dm);
          close(got, want, `swigluBackward ${rows}x${cols} fused=${fused} masked=${masked} ${name}`, 2e-5, 1e-6);
          close(dm, wantM, `dmask ${rows}x${cols} fused=${fused} masked=${masked} ${name}`, 1e-4, 1e-5);
        }
        // the reference against central differences of Σ dh·swiglu(gu) (one gate and one up entry)
        const L = (v: Float32Array): number => {
          const h = new Float32Array(rows * cols);
          ref.swiglu(h, v, 0, v, uOff, stride, rows, cols, mask);
          return h.reduce((s, e, i) => s + e * dh[i], 0);
        };
        for (const i of [0, uOff + (rows - 1) * stride + cols - 1]) {
          const e = 1e-2, p = Float64Array.from(gu), m = Float64Array.from(gu);
          p[i] += e; m[i] -= e;
          const fd = (L(Float32Array.from(p)) - L(Float32Array.from(m))) / (2 * e);
          assert.ok(Math.abs(fd - want[i]) < 2e-3 * (1 + Math.abs(fd)), `finite difference at ${i}: ${fd} vs ${want[i]}`);
        }
      }
    }
  }
});

test('matmulBackwardInput with accumulate adds dy·W to dx (F32 and quantized weights), without it overwrites', () => {
  let seed = 100;
  for (const type of [GGML_TYPE.F32, GGML_TYPE.Q8_0, GGML_TYPE.Q4_K]) {
    const cols = 256, rows = 33, m = 7;
    const bytes = randomWeight(type, cols, rows, ++seed);
    const dy = randomVector(m * rows, ++seed), dx0 = randomVector(m * cols, ++seed);
    const rw = ref.uploadWeight(type, bytes, cols, rows);
    const plainDx = ref.matmulBackwardInput(dy, rw, m);
    const want = Float32Array.from(dx0, (v, i) => v + plainDx[i]);
    for (const [name, be] of backends()) {
      const w = be.uploadWeight(type, bytes, cols, rows);
      const got = be.matmulBackwardInput(dy, w, m, dx0.slice(), true);
      close(got, want, `accumulate type ${type} ${name}`, 1e-4, 1e-4);
      close(be.matmulBackwardInput(dy, w, m, dx0.slice()), plainDx, `overwrite type ${type} ${name}`, 1e-4, 1e-4);
      be.freeWeight(w);
    }
    ref.freeWeight(rw);
  }
});
