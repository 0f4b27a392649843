import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createWasmBackend, KERNEL_TYPES as T, type KernelBackend, type WeightHandle } from '../../../src/engine/kernels/index.js';
import { roundLikeLlamaCpp } from '../../../src/engine/kernels/llamaCppRounding.js';
import { backendsUnderTest } from './backendsUnderTest.js';
import { randomVector, randomWeight, toHalf } from './randomWeights.js';

// matmulRounded: the WASM backend quantizes activations to 8 bits (Q8_0 / Q8_K, as llama.cpp does) and takes
// integer dot products; the reference rounds x in TypeScript and sums in float64. They must agree to rounding.
const { ref, fast, plain } = backendsUnderTest();
let three: KernelBackend | undefined;
before(async () => { three = await createWasmBackend({ threads: 3, parallelThreshold: 0 }); });
after(() => three?.dispose());
/** [label, backend]: 1–3 threads of the default build (relaxed SIMD where the runtime has it on), and plain SIMD */
const backends = (): Array<[string, KernelBackend]> => [
  ...[...fast].map(([n, be]): [string, KernelBackend] => [`${n} (${be.name})`, be]), [`3 (${three!.name})`, three!], [`2 (${plain().name})`, plain()],
];

const abs = (a: Float32Array): Float32Array => a.map(Math.abs);

/** dense |W| [rows, cols] as the reference reads it, uploaded as F32 (for the error bound Σ|x|·|w|) */
function absWeight(w: WeightHandle): WeightHandle {
  const eye = new Float32Array(w.cols * w.cols);
  for (let i = 0; i < w.cols; i++) eye[i * w.cols + i] = 1;
  const t = ref.matmul(eye, w, w.cols); // [cols, rows] = Wᵀ
  const out = new Float32Array(w.rows * w.cols);
  for (let c = 0; c < w.cols; c++) for (let r = 0; r < w.rows; r++) out[r * w.cols + c] = Math.abs(t[c * w.rows + r]);
  return ref.uploadWeight(T.F32, new Uint8Array(out.buffer), w.cols, w.rows);
}

// First in the file, so that the kernels run as V8 first compiles them: Node 20's baseline compiler (Liftoff) got the
// relaxed i8 dot product wrong while its optimizing compiler got it right, which a test after warmed-up calls misses.
test('the first integer matmuls of a fresh kernel module match the reference (no warm-up), plain and relaxed SIMD', async () => {
  const relaxed = await createWasmBackend({ threads: 1, simd: 'relaxed' });
  try {
    firstCalls(fast.get(1)!);
    firstCalls(relaxed);
  } finally {
    relaxed.dispose();
  }
});
function firstCalls(be: KernelBackend): void {
  let seed = 77;
  for (const name of ['Q4_0', 'Q5_0', 'Q4_K', 'Q6_K'] as const) {
    const type = T[name];
    const [cols, rows, m] = [512, 8, 8];
    const bytes = randomWeight(type, cols, rows, ++seed);
    const wr = ref.uploadWeight(type, bytes, cols, rows);
    const x = randomVector(m * cols, ++seed);
    const want = ref.matmulRounded(x, wr, m);
    const w = be.uploadWeight(type, bytes, cols, rows);
    const got = be.matmulRounded(x, w, m);
    const scale = Math.max(...want.map(Math.abs));
    got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-4 * scale, `${name} ${be.name} [${i}]: ${v} vs ${want[i]}`));
    be.freeWeight(w);
    ref.freeWeight(wr);
  }
}

// [cols, rows]: odd row counts, more than one packed K tile (1024) and one block, rows past a 64-row chunk
const SHAPES: Record<string, Array<[number, number]>> = {
  Q8_0: [[32, 5], [96, 37], [1088, 70]],
  Q4_0: [[32, 3], [96, 37], [1088, 70]],
  Q5_0: [[32, 3], [96, 37], [1088, 70]],
  Q4_K: [[256, 37], [1280, 67]],
  Q5_K: [[256, 37], [1280, 67]],
  Q6_K: [[256, 37], [1280, 67]],
};

// Q8_0 as llama.cpp quantizes it (−127…127, no −128): the relaxed build takes the sign-transfer path
SHAPES['Q8_0 without −128'] = SHAPES.Q8_0;

for (const [name, shapes] of Object.entries(SHAPES)) {
  const type = T[name.split(' ')[0] as keyof typeof T];
  const noMinus128 = name.endsWith('−128');
  test(`matmulRounded (8-bit activations, integer dot products) matches the reference for ${name}, 1–3 threads`, () => {
    let seed = type * 1000;
    for (const [cols, rows] of shapes) {
      const bytes = randomWeight(type, cols, rows, ++seed);
      if (noMinus128) for (let b = 0; b < bytes.length; b += 34) for (let i = b + 2; i < b + 34; i++) if (bytes[i] === 0x80) bytes[i] = 0x81;
      const wr = ref.uploadWeight(type, bytes, cols, rows);
      const wAbs = absWeight(wr);
      for (const m of [1, 2, 3, 5, 17, 70]) {
        const x = randomVector(m * cols, ++seed).map((v, i) => v * (1 + (i % 7))); // blocks of unequal scale
        const want = ref.matmulRounded(x, wr, m);
        const bound = ref.matmul(abs(roundLikeLlamaCpp(type, x, m, cols).slice()), wAbs, m);
        for (const [threads, be] of backends()) {
          const w = be.uploadWeight(type, bytes, cols, rows);
          const got = be.matmulRounded(x, w, m);
          for (let i = 0; i < got.length; i++) {
            if (!(Math.abs(got[i] - want[i]) <= 1e-5 * bound[i] + 1e-30)) {
              assert.fail(`${name} [${cols}, ${rows}] m=${m} threads=${threads}: element ${i}: ${got[i]} vs ${want[i]} (bound ${bound[i]})`);
            }
          }
          be.freeWeight(w);
        }
      }
      ref.freeWeight(wr);
      ref.freeWeight(wAbs);
    }
  });
}

/** Values over many magnitudes, with exact halves after scaling, zeros and whole zero blocks. */
function awkward(n: number, seed: number): Float32Array {
  const x = randomVector(n, seed);
  for (let i = 0; i < n; i++) x[i] *= 2 ** ((i % 23) - 12);
  x.fill(0, 32, 64); // a zero Q8_0 block
  x.set([127, 0.5, -0.5, 1.5, 2.5, -63.5, 1e-30, -127], 64); // ties after scaling by 127/amax = 1
  x.set([-8, 8, 3, -3], 320); // Q8_K: −max wins over +max when it comes first
  return x;
}

test('the kernels quantize activations exactly as roundLikeLlamaCpp does (identity weights read them back)', () => {
  const K = 512;
  // Q8_0 identity: d = 1, q = 1 on the diagonal; output = the rounded x, bit for bit
  const q80 = new Uint8Array(K * (K / 32) * 34);
  const v80 = new DataView(q80.buffer);
  for (let r = 0; r < K; r++) {
    for (let b = 0; b < K / 32; b++) v80.setUint16(r * (K / 32) * 34 + b * 34, toHalf(1), true);
    q80[r * (K / 32) * 34 + Math.floor(r / 32) * 34 + 2 + (r % 32)] = 1;
  }
  // Q6_K identity: d = 1, scales 1, raw 6-bit value 32 (zero) everywhere, 33 (one) on the diagonal
  const q6 = new Uint8Array(K * (K / 256) * 210);
  const v6 = new DataView(q6.buffer);
  for (let r = 0; r < K; r++) {
    for (let b = 0; b < K / 256; b++) {
      const o = r * (K / 256) * 210 + b * 210;
      for (let i = 0; i < 64; i++) q6[o + 128 + i] = 0xaa; // high bits 2 for every value (raw 32)
      for (let i = 0; i < 16; i++) q6[o + 192 + i] = 1;
      v6.setUint16(o + 208, toHalf(1), true);
    }
    const v = r % 256, o = r * (K / 256) * 210 + Math.floor(r / 256) * 210;
    const half = v >> 7, j = (v & 127) >> 5, l = v & 31;
    q6[o + 64 * half + l + (j & 1 ? 32 : 0)] |= j < 2 ? 1 : 0x10;
  }
  for (const m of [1, 6]) {
    const x = awkward(m * K, m);
    for (const [type, bytes] of [[T.Q8_0, q80], [T.Q6_K, q6]] as const) {
      const want = roundLikeLlamaCpp(type, x, m, K).slice();
      for (const [threads, be] of backends()) {
        const w = be.uploadWeight(type, bytes, K, K);
        const got = be.matmulRounded(x, w, m);
        for (let i = 0; i < got.length; i++) {
          if (!Object.is(got[i] + 0, want[i] + 0)) assert.fail(`type ${type} m=${m} threads=${threads}: x[${i}] = ${x[i]} → ${got[i]}, llama.cpp ${want[i]}`);
        }
        be.freeWeight(w);
      }
    }
  }
});

test('matmulRounded on F32/F16/BF16 weights: the same rounding, through the float path', () => {
  for (const type of [T.F32, T.F16, T.BF16]) {
    const bytes = randomWeight(type, 45, 13, type + 5);
    const wr = ref.uploadWeight(type, bytes, 45, 13);
    const x = randomVector(3 * 45, 4);
    const want = ref.matmulRounded(x, wr, 3);
    for (const [, be] of backends()) {
      const w = be.uploadWeight(type, bytes, 45, 13);
      const got = be.matmulRounded(x, w, 3);
      got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-5 * (1 + Math.abs(want[i])), `type ${type} [${i}]`));
      be.freeWeight(w);
    }
  }
});
