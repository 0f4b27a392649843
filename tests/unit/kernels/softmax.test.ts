import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backendsUnderTest } from './backendsUnderTest.js';
import { randomVector } from './randomWeights.js';

const { ref, fast } = backendsUnderTest();

function close(got: Float32Array, want: Float32Array, what: string, rel = 1e-5, abs = 1e-7): void {
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= abs + rel * Math.abs(want[i]))) assert.fail(`${what}: element ${i}: ${got[i]} vs ${want[i]}`);
  }
}

test('reference softmax: rows sum to 1, causal rows keep only earlier columns, −∞ rows give 0', () => {
  const x = new Float32Array([0, Math.log(3), 5, 1, 2, 3]);
  ref.softmax(x, 2, 3, true); // row 0 keeps column 0 + (3 − 2) → columns 0…1
  assert.deepEqual([...x].map((v) => +v.toFixed(6)), [0.25, 0.75, 0, 0.090031, 0.244728, 0.665241]);
  const y = new Float32Array([-Infinity, -Infinity]);
  ref.softmax(y, 1, 2);
  assert.deepEqual([...y], [0, 0]);
});

test('softmax matches the reference (odd sizes, causal, wide-range values, −∞ entries)', () => {
  let seed = 1;
  for (const [rows, cols] of [[1, 1], [3, 5], [17, 17], [33, 70], [64, 64], [5, 300]]) {
    for (const causal of [false, true]) {
      const x = randomVector(rows * cols, ++seed).map((v, i) => (i % 11 === 3 ? -Infinity : v * 30));
      const want = x.slice();
      ref.softmax(want, rows, cols, causal);
      for (const [threads, be] of fast) {
        const got = x.slice();
        be.softmax(got, rows, cols, causal);
        close(got, want, `softmax ${rows}x${cols} causal=${causal} threads=${threads}`);
      }
    }
  }
});

test('softmaxBackward matches the reference and finite differences of softmax', () => {
  let seed = 50;
  for (const [rows, cols] of [[1, 3], [7, 13], [40, 33]]) {
    const x = randomVector(rows * cols, ++seed);
    const g = randomVector(rows * cols, ++seed);
    const p = x.slice();
    ref.softmax(p, rows, cols);
    const want = g.slice();
    ref.softmaxBackward(p, want, rows, cols);
    for (const [threads, be] of fast) {
      const got = g.slice();
      be.softmaxBackward(p, got, rows, cols);
      close(got, want, `softmaxBackward ${rows}x${cols} threads=${threads}`, 1e-4, 1e-6);
    }
    // d/dx_i of Σ g·softmax(x), central differences in float64 on the reference
    const L = (v: Float32Array): number => { const q = Float32Array.from(v); ref.softmax(q, rows, cols); return q.reduce((s, e, i) => s + e * g[i], 0); };
    for (const i of [0, Math.floor(rows * cols / 2), rows * cols - 1]) {
      const h = 1e-2;
      const xp = x.slice(); xp[i] += h;
      const xm = x.slice(); xm[i] -= h;
      const fd = (L(xp) - L(xm)) / (2 * h);
      assert.ok(Math.abs(fd - want[i]) < 1e-4, `finite difference at ${i}: ${fd} vs ${want[i]}`);
    }
  }
});
