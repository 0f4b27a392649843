import assert from 'node:assert/strict';
import { test } from 'node:test';
import { roundLikeLlamaCpp } from '../../../src/engine/model/ops/llamaCppRounding.js';
import { bf16ToF32, f32ToBf16, roundToF16 } from '../../../src/engine/quant/index.js';

/** Values over many magnitudes, with exact ties and f16-subnormal / overflow cases. */
function values(n: number): Float32Array {
  const x = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    x[i] = ((s / 2 ** 32) - 0.5) * Math.pow(2, (i % 40) - 24);
  }
  x.set([0, -0, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504, 70000, 2 ** -20, -(2 ** -15), 1e-30], 0);
  return x;
}

/** Half-to-even integer rounding, written the plain way. */
const rne = (v: number): number => { const r = Math.round(v); return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r; };

test('F16 and BF16 rounding equal the quant library\'s conversions for every value', () => {
  const x = values(20000);
  const h = roundLikeLlamaCpp(1, x, 100, 200);
  x.forEach((v, i) => assert.equal(h[i], roundToF16(v), `f16 of ${v}`));
  const b = roundLikeLlamaCpp(30, x, 100, 200);
  x.forEach((v, i) => assert.equal(b[i], bf16ToF32(f32ToBf16(v)), `bf16 of ${v}`));
  assert.equal(roundLikeLlamaCpp(0, x, 100, 200), x, 'F32 weights: input untouched');
});

test('Q8_0 and Q8_K rounding follow ggml (f16 scale amax/127; f32 scale −max/127 signed), half to even', () => {
  const x = values(512);
  const f = Math.fround;
  const q0 = roundLikeLlamaCpp(8, x, 2, 256);
  for (let b = 0; b < 512; b += 32) {
    const amax = Math.max(...Array.from(x.subarray(b, b + 32), Math.abs));
    const d = roundToF16(f(amax / 127)), id = f(127 / amax);
    for (let j = b; j < b + 32; j++) assert.ok(q0[j] === (amax ? f(rne(f(x[j] * id)) * d) : 0), `q8_0 [${j}]`); // ±0 alike
  }
  const qk = roundLikeLlamaCpp(12, x, 2, 256);
  for (let b = 0; b < 512; b += 256) {
    let amax = 0, max = 0;
    for (let j = b; j < b + 256; j++) if (Math.abs(x[j]) > amax) { amax = Math.abs(x[j]); max = x[j]; }
    const iscale = f(-127 / max), d = f(1 / iscale);
    for (let j = b; j < b + 256; j++) assert.ok(qk[j] === f(Math.min(127, rne(f(iscale * x[j]))) * d), `q8_K [${j}]`);
  }
});

test('sameAsLast reuses the last result only for the same input array and type', () => {
  const x = values(256), y = values(256).map((v) => v * 3);
  const a = Float32Array.from(roundLikeLlamaCpp(12, x, 1, 256));
  x[0] = 123; // a caller that lies about "same input" gets the old values: the flag is a promise
  assert.deepEqual(Float32Array.from(roundLikeLlamaCpp(12, x, 1, 256, true)), a);
  const c = Float32Array.from(roundLikeLlamaCpp(12, y, 1, 256, true)); // another array: recomputed
  assert.notDeepEqual(c, a);
  assert.deepEqual(c, Float32Array.from(roundLikeLlamaCpp(12, y, 1, 256)));
});
