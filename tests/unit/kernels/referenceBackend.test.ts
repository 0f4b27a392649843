import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReferenceBackend, KERNEL_TYPES as T, KernelArgumentError, KernelDisposedError } from '../../../src/engine/kernels/index.js';

const f32Bytes = (v: number[]): Uint8Array => new Uint8Array(new Float32Array(v).buffer);

test('reference matmul and backward on a hand-computed F32 example', () => {
  const be = createReferenceBackend();
  // W [rows 2, cols 3]
  const w = be.uploadWeight(T.F32, f32Bytes([1, 2, 3, 4, 5, 6]), 3, 2);
  const x = new Float32Array([1, 0, -1, 2, 1, 0]); // [2 tokens, 3]
  assert.deepEqual([...be.matmul(x, w, 2)], [-2, -2, 4, 13]);
  const dy = new Float32Array([1, 1, 0, 2]); // [2, 2]
  assert.deepEqual([...be.matmulBackwardInput(dy, w, 2)], [5, 7, 9, 8, 10, 12]);
  be.dispose();
  assert.throws(() => be.matmul(x, w, 2), KernelDisposedError);
});

test('reference gemm honours both transpose flags, alpha and beta', () => {
  const be = createReferenceBackend();
  const a = new Float32Array([1, 2, 3, 4, 5, 6]); // A [2,3]
  const b = new Float32Array([1, 0, 0, 1, 1, 1]); // B [3,2]
  const c = new Float32Array([1, 1, 1, 1]);
  be.gemm(false, false, 2, 2, 3, 2, a, b, 0.5, c);
  assert.deepEqual([...c], [2 * 4 + 0.5, 2 * 5 + 0.5, 2 * 10 + 0.5, 2 * 11 + 0.5]);
  const at = new Float32Array([1, 4, 2, 5, 3, 6]); // Aᵀ stored [3,2]
  const bt = new Float32Array([1, 0, 1, 0, 1, 1]); // Bᵀ stored [2,3]
  const c2 = new Float32Array(4).fill(NaN);
  be.gemm(true, true, 2, 2, 3, 1, at, bt, 0, c2);
  assert.deepEqual([...c2], [4, 5, 10, 11]);
});

test('reference dequantizes hand-built blocks of each quantized type', () => {
  const be = createReferenceBackend();
  const one = (type: number, block: number[], cols: number, idx: number[]): number[] => {
    const w = be.uploadWeight(type, new Uint8Array(block), cols, 1);
    const out: number[] = [];
    for (const i of idx) { const x = new Float32Array(cols); x[i] = 1; out.push(be.matmul(x, w, 1)[0]); }
    return out;
  };
  // Q8_0: d = 0.5 (f16 0x3800), q = [-3, 7, …]
  const q8 = [0x00, 0x38, 0xfd, 7, ...new Array(30).fill(0)];
  assert.deepEqual(one(T.Q8_0, q8, 32, [0, 1, 2]), [-1.5, 3.5, 0]);
  // Q4_0: d = 2, byte0 = 0x5A → element 0 = (10−8)·2, element 16 = (5−8)·2
  const q4 = [0x00, 0x40, 0x5a, ...new Array(15).fill(0x88)];
  assert.deepEqual(one(T.Q4_0, q4, 32, [0, 16, 1]), [4, -6, 0]);
  // Q5_0: d = 2, qh bits 0 and 17 set, byte0 = 0x5A → element 0 = (10+16−16)·2, element 16 = (5−16)·2,
  // element 17 = (0+16−16)·2, element 1 = (0−16)·2
  const q5 = [0x00, 0x40, 0x01, 0x00, 0x02, 0x00, 0x5a, ...new Array(15).fill(0)];
  assert.deepEqual(one(T.Q5_0, q5, 32, [0, 16, 17, 1]), [20, -22, 0, -32]);
  // BF16 1.5 = 0x3FC0, F16 −2.5 = 0xC100
  assert.deepEqual(one(T.BF16, [0xc0, 0x3f], 1, [0]), [1.5]);
  assert.deepEqual(one(T.F16, [0x00, 0xc1], 1, [0]), [-2.5]);
  // Q4_K: d = 1, dmin = 0.5; group 0 scale 2 min 1, group 1 scale 3 min 0, group 4 scale 1 (+ high bits) min 2
  const scales = [2, 3, 0, 0, 1, 0, 0, 0, 0x21, 0, 0, 0];
  const qs = new Array(128).fill(0); qs[0] = 0x5a; qs[64] = 0x07;
  const q4k = [0x00, 0x3c, 0x00, 0x38, ...scales, ...qs];
  assert.deepEqual(one(T.Q4_K, q4k, 256, [0, 32, 128, 1]), [2 * 10 - 0.5, 3 * 5, 1 * 7 - 0.5 * 2, 2 * 0 - 0.5]);
  // Q5_K: the same plus high bits: qh[0] bit 0 adds 16 to element 0, bit 1 adds 16 to element 32
  const qh = new Array(32).fill(0); qh[0] = 0b11;
  const q5k = [0x00, 0x3c, 0x00, 0x38, ...scales, ...qh, ...qs];
  assert.deepEqual(one(T.Q5_K, q5k, 256, [0, 32, 128]), [2 * 26 - 0.5, 3 * 21, 1 * 7 - 0.5 * 2]);
  // Q6_K: element 0 = d·sc[0]·((ql[0] & 15 | (qh[0] & 3) << 4) − 32); element 64 uses ql[0] >> 4, qh bits 4–5, sc[4]; a zero quant is −32
  const ql = new Array(128).fill(0); ql[0] = 0x31;
  const qh6 = new Array(64).fill(0); qh6[0] = 0b100010;
  const sc = new Array(16).fill(0); sc[0] = 3; sc[4] = 0xfe; // −2
  const q6k = [...ql, ...qh6, ...sc, 0x00, 0x38]; // d = 0.5
  assert.deepEqual(one(T.Q6_K, q6k, 256, [0, 64, 1]), [0.5 * 3 * (33 - 32), 0.5 * -2 * (35 - 32), 0.5 * 3 * (0 - 32)]);
});

test('reference refuses bad shapes and freed weights', () => {
  const be = createReferenceBackend();
  assert.throws(() => be.uploadWeight(T.Q8_0, new Uint8Array(34), 16, 1), KernelArgumentError);
  assert.throws(() => be.uploadWeight(T.F32, new Uint8Array(8), 3, 1), KernelArgumentError);
  assert.throws(() => be.uploadWeight(99, new Uint8Array(8), 2, 1), KernelArgumentError);
  const w = be.uploadWeight(T.F32, new Uint8Array(8), 2, 1);
  be.freeWeight(w);
  assert.throws(() => be.matmul(new Float32Array(2), w, 1), KernelArgumentError);
});
