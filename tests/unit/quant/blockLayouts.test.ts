// Known-bytes tests: blocks built by hand from the published layouts, decoded values worked out by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dequantize, GGML_TYPE as T, quantize } from '../../../src/engine/quant/index.js';

const F16_ONE = [0x00, 0x3c];
const F16_HALF = [0x00, 0x38];
const F16_TWO = [0x00, 0x40];
const F16_MINUS_ONE = [0x00, 0xbc];

function block(size: number, parts: Array<[number, number[]]>): Uint8Array {
  const b = new Uint8Array(size);
  for (const [at, bytes] of parts) b.set(bytes, at);
  return b;
}

test('F32, F16 and BF16 rows', () => {
  assert.deepEqual([...dequantize(T.F32, new Uint8Array(new Float32Array([1.5, -2]).buffer), 2)], [1.5, -2]);
  // f16: 0x3c00 = 1, 0xc000 = -2, 0x7bff = 65504, 0x0001 = 2^-24 (subnormal), 0x7c00 = inf
  const h = new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00, 0x00, 0x7c]);
  assert.deepEqual([...dequantize(T.F16, h, 5)], [1, -2, 65504, 2 ** -24, Infinity]);
  // bf16 is the top half of an f32: 0x3fc0 = 1.5, 0xc080 = -4
  assert.deepEqual([...dequantize(T.BF16, new Uint8Array([0xc0, 0x3f, 0x80, 0xc0]), 2)], [1.5, -4]);
  assert.deepEqual([...quantize(T.F16, new Float32Array([1, -2, 65504, 2 ** -24]))], [0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00]);
  // round to nearest even: 1 + 2^-11 is halfway between 1 and 1 + 2^-10 → 1
  assert.deepEqual([...quantize(T.F16, new Float32Array([1 + 2 ** -11, 1 + 3 * 2 ** -11]))], [0x00, 0x3c, 0x02, 0x3c]);
  assert.deepEqual([...quantize(T.BF16, new Float32Array([1.5, -4]))], [0xc0, 0x3f, 0x80, 0xc0]);
});

test('Q8_0: f16 d, then 32 int8', () => {
  const b = block(34, [[0, F16_HALF], [2, [1, 0xff, 127, 0x81]]]); // 1, -1, 127, -127
  const y = dequantize(T.Q8_0, b, 32);
  assert.deepEqual([...y.subarray(0, 5)], [0.5, -0.5, 63.5, -63.5, 0]);
  // values on the grid quantize exactly: amax 63.5 → d = 0.5
  const x = new Float32Array(32).map((_, j) => (j - 16) * 0.5);
  x[0] = 63.5;
  const q = quantize(T.Q8_0, x);
  assert.deepEqual([...q.subarray(0, 2)], F16_HALF);
  assert.equal(q[2], 127);
  assert.equal(q[3], (-15 & 255));
  assert.deepEqual(dequantize(T.Q8_0, q, 32), x);
});

test('Q4_0: low nibble → element j, high nibble → element j+16, value (q − 8)·d', () => {
  const b = block(18, [[0, F16_TWO], [2, [0x1f, 0x80]]]);
  const y = dequantize(T.Q4_0, b, 32);
  assert.equal(y[0], 14); // (15 − 8)·2
  assert.equal(y[16], -14); // (1 − 8)·2
  assert.equal(y[1], -16); // (0 − 8)·2
  assert.equal(y[17], 0); // (8 − 8)·2
  // the value of largest magnitude maps to q = 0: d = −4 / −8 = 0.5
  const x = new Float32Array(32).map((_, j) => ((j % 16) - 8) * 0.5);
  const q = quantize(T.Q4_0, x);
  assert.deepEqual([...q.subarray(0, 3)], [...F16_HALF, 0x00]);
  assert.deepEqual([...q.subarray(2)], Array.from({ length: 16 }, (_, j) => j | (j << 4)));
  assert.deepEqual(dequantize(T.Q4_0, q, 32), x);
});

test('Q4_1: d, m, nibbles; value q·d + m', () => {
  const b = block(20, [[0, F16_ONE], [2, F16_MINUS_ONE], [4, [0x52]]]);
  const y = dequantize(T.Q4_1, b, 32);
  assert.equal(y[0], 1); // 2·1 − 1
  assert.equal(y[16], 4); // 5·1 − 1
  assert.equal(y[1], -1);
});

test('Q5_0 and Q5_1: bit j of the u32 qh is the 5th bit of element j', () => {
  // qh bits 0 and 17 set: element 0 and element 17 get +16
  const qh = [0x01, 0x00, 0x02, 0x00];
  const q50 = dequantize(T.Q5_0, block(22, [[0, F16_ONE], [2, qh], [6, [0x3a, 0x4b]]]), 32);
  assert.equal(q50[0], 10); // (0xa | 16) − 16
  assert.equal(q50[16], 3 - 16); // 0x3, no 5th bit
  assert.equal(q50[1], 11 - 16);
  assert.equal(q50[17], 4); // (0x4 | 16) − 16
  const q51 = dequantize(T.Q5_1, block(24, [[0, F16_TWO], [2, F16_ONE], [4, qh], [8, [0x3a, 0x4b]]]), 32);
  assert.equal(q51[0], 26 * 2 + 1);
  assert.equal(q51[16], 3 * 2 + 1);
  assert.equal(q51[17], 20 * 2 + 1);
});

test('Q2_K: scales (lo scale, hi min) | qs 2-bit, 4 shifts per 32 bytes | d | dmin', () => {
  const b = block(84, [
    [0, [0x21, 0, 0x13, 0, 0, 0, 0x05, 0, 0x31]], // sub-blocks 0, 2, 6, 8
    [16, [0b11_10_01_00]], // qs[0]: 0 at shift 0, 1 at 2, 2 at 4, 3 at 6
    [48, [0b00_00_00_11]], // qs[32]: first byte of the second half
    [80, F16_ONE],
    [82, F16_HALF],
  ]);
  const y = dequantize(T.Q2_K, b, 256);
  assert.equal(y[0], 1 * 0 - 0.5 * 2); // scale 1, min 2, q 0
  assert.equal(y[32], 3 * 1 - 0.5 * 1); // sub-block 2: scale 3, min 1, q 1
  assert.equal(y[96], 5 * 3 - 0); // sub-block 6: scale 5, min 0, q 3
  assert.equal(y[128], 1 * 3 - 0.5 * 3); // sub-block 8: scale 1, min 3, q 3
  assert.equal(y[16], 0); // sub-block 1: scale 0, min 0
});

test('Q3_K: hmask | qs | 16 six-bit scales in 12 bytes | d; value d·(s − 32)·(q − 4·!hbit)', () => {
  const b = block(110, [
    [0, [0x01]], // hmask[0] bit 0: element 0 has its high bit (no −4)
    [32, [0b00_00_10_11]], // qs[0]: 3 at shift 0, 2 at shift 2
    [96, [0x01, 0x50]], // scale 0 low nibble 1; scale 9 low nibble 5 (high nibble of byte 1)
    [104, [0x02, 0x20]], // scale 0 top bits 2 → 33 − 32 = 1; scale 9 top bits (byte 9 bits 4-5) 2 → 37 − 32 = 5
    [108, F16_TWO],
  ]);
  const y = dequantize(T.Q3_K, b, 256);
  assert.equal(y[0], 2 * 1 * 3); // hbit set
  assert.equal(y[32], 2 * -32 * (2 - 4)); // sub-block 2: scale bits 0 → −32; hbit (mask 2) clear
  // element 144 = second half, shift 0, second 16 of qs: sub-block 9, qs[48], hmask[16] bit 4
  const b2 = b.slice();
  b2[32 + 48] = 0b01;
  b2[16] = 0x10;
  assert.equal(dequantize(T.Q3_K, b2, 256)[144], 2 * 5 * 1);
});

test('Q4_K: d | dmin | 8 scales + 8 mins in 12 bytes | 128 nibble bytes; value d·s·q − dmin·m', () => {
  const b = block(144, [
    [0, F16_ONE],
    [2, F16_HALF],
    [4, [3, 0x40, 0, 0, 4, 0xc0, 0, 0, 0, 0x21, 0, 0]], // sub 0: s 3, m 4; sub 5: s 1|(1<<4)=17, m 2|(3<<4)=50
    [16, [0x7a]], // qs[0]: element 0 ← low nibble 0xa, element 32 ← high nibble 7
    [16 + 64, [0x90]], // qs[64]: element 128 ← 0, element 160 (sub 5) ← 9
  ]);
  const y = dequantize(T.Q4_K, b, 256);
  assert.equal(y[0], 3 * 10 - 0.5 * 4);
  assert.equal(y[32], 0 * 7 - 0); // sub 1: s = b[5] & 63 = 0, m = b[9]... = 0
  assert.equal(y[160], 17 * 9 - 0.5 * 50);
});

test('Q5_K: like Q4_K plus qh: bit 2j / 2j+1 of qh[l] is the 5th bit of sub-blocks 2j / 2j+1', () => {
  const b = block(176, [
    [0, F16_ONE],
    [2, F16_ONE],
    [4, [2, 0, 0, 3, 1, 0, 0, 0, 0, 0, 0, 0]], // sub 0: s 2, m 1; sub 3: s 3, m 0
    [16, [0b0100_0001]], // qh[0]: bit 0 → sub 0 element 0; bit 6 → sub 6 (j 3, low nibble) element 192
    [16 + 1, [0b1000_0000]], // qh[1]: bit 7 → sub 7 element 225
    [48, [0x05]], // qs[0]: element 0 ← 5
    [48 + 32 + 1, [0x80]], // qs[33]: element 97 (sub 3, high nibble) ← 8
  ]);
  const y = dequantize(T.Q5_K, b, 256);
  assert.equal(y[0], 2 * (5 + 16) - 1);
  assert.equal(y[97], 3 * 8);
  assert.equal(y[192], 0); // sub 6 has scale 0
});

test('Q6_K: ql | qh | int8 scales | d; element groups of 32 interleave low/high nibbles', () => {
  const b = block(210, [
    [0, [0x3a]], // ql[0]: element 0 low 4 bits 0xa, element 64 low 4 bits 3
    [128, [0b00_00_00_10]], // qh[0]: element 0 high 2 bits = 2 → q = 0xa | 32 = 42
    [64 + 8, [0x70]], // second half ql[8]: high nibble → element 128 + 64 + 8 = 200
    [128 + 32 + 8, [0b00_11_00_00]], // second half qh[8], bits 4-5 → element 200 high bits 3
    [192, [0x02, 0, 0, 0, 0xff]], // scale 0 = 2, scale 4 = −1
    [192 + 12, [0xfd]], // scale 12 = −3
    [208, F16_HALF],
  ]);
  const y = dequantize(T.Q6_K, b, 256);
  assert.equal(y[0], 0.5 * 2 * (42 - 32));
  assert.equal(y[64], 0.5 * -1 * (3 - 32));
  assert.equal(y[200], 0.5 * -3 * ((7 | (3 << 4)) - 32));
});

test('wrong sizes and unsupported types are RangeErrors', () => {
  assert.throws(() => dequantize(T.Q4_K, new Uint8Array(100), 256), RangeError);
  assert.throws(() => dequantize(T.Q8_0, new Uint8Array(34), 33), RangeError);
  assert.throws(() => quantize(T.Q4_K, new Float32Array(255)), RangeError);
  assert.throws(() => quantize(T.Q5_K, new Float32Array(256)), /not supported/);
  assert.throws(() => dequantize(16 /* IQ2_XXS */, new Uint8Array(66), 256), /not supported/);
});
