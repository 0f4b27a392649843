// quantize → dequantize stays within each type's worst-case error, per block, on varied data.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dequantize, GGML_TYPE as T, GGML_TYPES, quantize, QUANTIZABLE_TYPES } from '../../../src/engine/quant/index.js';
import { Rng } from '../../../src/engine/model/random.js';

function datasets(): Array<[string, Float32Array]> {
  const r = new Rng(42);
  const n = 4096;
  const spiky = r.normals(n, 0.02);
  for (let i = 0; i < n; i += 97) spiky[i] = (i % 2 ? 1 : -1) * 3;
  return [
    ['normal', r.normals(n, 1)],
    ['small weights', r.normals(n, 0.02)],
    ['outliers', spiky],
    ['offset', r.normals(n, 0.1, 2)],
    ['all negative', r.normals(n, 0.1).map((v) => -Math.abs(v) - 1)],
    ['zeros', new Float32Array(n)],
    ['constant', new Float32Array(n).fill(-0.75)],
    ['large', r.normals(n, 1000)],
    ['tiny', r.normals(n, 1e-6)],
  ];
}

/**
 * Worst-case |error| for a block whose largest |value| is amax. Block types store their factors as f16, whose
 * subnormals limit absolute precision near 2^-24: hence the small absolute terms (llama.cpp has the same limit).
 */
const BOUND: Record<string, (amax: number) => number> = {
  F32: () => 0,
  F16: (a) => a * 2 ** -11 + 2 ** -25,
  BF16: (a) => a * 2 ** -8,
  // half a step (d = amax/127), plus d's f16 rounding times |q| ≤ 127
  Q8_0: (a) => (0.5 + 127 * 2 ** -11) * (a / 127) + 127 * 2 ** -24,
  // the end opposite the largest value clamps a whole step (q = 16 → 15), plus d's f16 rounding times |q − 8| ≤ 8
  Q4_0: (a) => (a / 8) * (1 + 2 ** -8) + 8 * 2 ** -24,
  // the least-squares fit may clip a sub-block's extreme by up to one step (≤ 2a/15), + half a min level (a/126)
  Q4_K: (a) => 0.15 * a + 1e3 * 2 ** -24,
  // a whole 16-value sub-block step (≤ a/32, the clamp at q = 31) + the int8 sub-scale rounding (≤ a/256)
  Q6_K: (a) => 0.036 * a + 1e3 * 2 ** -24,
};

for (const type of QUANTIZABLE_TYPES) {
  const { name, blockSize } = GGML_TYPES[type];
  test(`${name}: quantize → dequantize error within bound`, () => {
    const group = Math.max(blockSize, 32);
    for (const [label, x] of datasets()) {
      const bytes = quantize(type, x);
      assert.equal(bytes.length, (x.length / blockSize) * GGML_TYPES[type].typeSize);
      const y = dequantize(type, bytes, x.length);
      let sumSq = 0;
      let errSq = 0;
      for (let b = 0; b < x.length; b += group) {
        let amax = 0;
        for (let i = b; i < b + group; i++) amax = Math.max(amax, Math.abs(x[i]));
        const bound = BOUND[name](amax);
        for (let i = b; i < b + group; i++) {
          const e = Math.abs(y[i] - x[i]);
          assert.ok(e <= bound, `${name} ${label}: |${y[i]} − ${x[i]}| = ${e} > ${bound} (block amax ${amax})`);
          errSq += e * e;
          sumSq += x[i] * x[i];
        }
      }
      // and on Gaussian data the typical error is well below the worst case
      if (label === 'normal') {
        const rel = Math.sqrt(errSq / sumSq);
        const typical: Record<string, number> = { F32: 0, F16: 3e-4, BF16: 3e-3, Q8_0: 0.01, Q4_0: 0.15, Q4_K: 0.075, Q6_K: 0.03 };
        assert.ok(rel <= typical[name], `${name}: relative RMS error ${rel}`);
      }
    }
  });
}

test('quantizers cover the contract list', () => {
  assert.deepEqual([...QUANTIZABLE_TYPES].sort((a, b) => a - b), [T.F32, T.F16, T.Q4_0, T.Q8_0, T.Q4_K, T.Q6_K, T.BF16].sort((a, b) => a - b));
});
