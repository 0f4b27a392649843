import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backendsUnderTest } from './backendsUnderTest.js';
import { randomVector } from './randomWeights.js';

const { ref, fast } = backendsUnderTest();

test('reference swiglu on a hand-computed example (silu(0) = 0, silu(x) → x for large x, mask)', () => {
  const g = new Float32Array([0, 30, -30, Math.log(3)]);
  const u = new Float32Array([5, 2, 7, 4]);
  const h = new Float32Array(4);
  ref.swiglu(h, g, 0, u, 0, 4, 1, 4, new Float32Array([1, 1, 1, 0.5]));
  assert.deepEqual([...h].map((v) => +v.toFixed(5)), [0, 60, -0, +(Math.log(3) * 0.75 * 4 * 0.5).toFixed(5)]);
});

test('swiglu matches the reference: separate and fused (phi3) gate|up, masks, odd sizes, extreme inputs', () => {
  let seed = 3;
  for (const [rows, cols] of [[1, 1], [3, 7], [17, 45], [40, 256]]) {
    for (const fused of [false, true]) {
      for (const masked of [false, true]) {
        const stride = fused ? 2 * cols : cols + 3;
        const g = randomVector(rows * stride + cols, ++seed).map((v, i) => (i % 13 === 5 ? v * 200 : v * 6));
        const u = fused ? g : randomVector(rows * stride, ++seed);
        const uOff = fused ? cols : 0;
        const mask = masked ? randomVector(cols, ++seed) : null;
        const want = new Float32Array(rows * cols);
        ref.swiglu(want, g, 1, u, uOff, stride, rows, cols, mask);
        for (const [threads, be] of fast) {
          const got = new Float32Array(rows * cols).fill(NaN);
          be.swiglu(got, g, 1, u, uOff, stride, rows, cols, mask);
          for (let i = 0; i < want.length; i++) {
            if (!(Math.abs(got[i] - want[i]) <= 1e-6 + 2e-6 * Math.abs(want[i]))) {
              assert.fail(`${rows}x${cols} fused=${fused} masked=${masked} threads=${threads}: element ${i}: ${got[i]} vs ${want[i]}`);
            }
          }
        }
      }
    }
  }
});
