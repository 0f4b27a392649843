import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createReferenceBackend } from '../../../src/engine/kernels/index.js';
import { attentionBackward, attentionForward } from '../../../src/engine/model/ops/attention.js';
import { headLoss } from '../../../src/engine/model/ops/head.js';
import { linearBackward, linearForward, type Linear, type LoraPair } from '../../../src/engine/model/ops/linear.js';
import { rmsnormBackward, rmsnormForward } from '../../../src/engine/model/ops/rmsnorm.js';
import { rope, ropeTable } from '../../../src/engine/model/ops/rope.js';
import { swigluBackward, swigluForward } from '../../../src/engine/model/ops/swiglu.js';
import { checkDirection, checkElementwise, dot, randn } from './fdCheck.js';

const be = createReferenceBackend();

test('RMSNorm backward matches finite differences (F64)', () => {
  const N = 3, C = 5;
  const x = randn(N * C, 1, 1, Float64Array), w = randn(C, 2, 1, Float64Array), R = randn(N * C, 3, 1, Float64Array);
  const out = new Float64Array(N * C), rstd = new Float64Array(N);
  const loss = (): number => { rmsnormForward(out, rstd, x, w, N, C, 1e-5); return dot(out, R); };
  loss();
  const dx = new Float64Array(N * C), dw = new Float64Array(C);
  rmsnormBackward(dx, dw, R, x, w, rstd, N, C);
  checkElementwise('dx', x, dx, loss);
  checkElementwise('dw', w, dw, loss);
});

test('RoPE NORM and NEOX rotate the documented pairs, and the backward is the inverse rotation', () => {
  const N = 3, H = 2, D = 8;
  const pos = Int32Array.from([0, 1, 5]);
  const t = ropeTable(D, 10000, 8);
  for (const mode of ['norm', 'neox'] as const) {
    const x = randn(N * H * D, 4, 1, Float64Array);
    const y = Float64Array.from(x);
    rope(y, N, H, D, pos, t, mode);
    // explicit formula for token 2 (p = 5), head 1, pair i = 1
    const p = 5, i = 1, th = p * Math.pow(10000, (-2 * i) / D), o = 2 * H * D + D;
    const [a, b] = mode === 'norm' ? [o + 2 * i, o + 2 * i + 1] : [o + i, o + i + D / 2];
    assert.ok(Math.abs(y[a] - (x[a] * Math.cos(th) - x[b] * Math.sin(th))) < 1e-6, mode);
    assert.ok(Math.abs(y[b] - (x[a] * Math.sin(th) + x[b] * Math.cos(th))) < 1e-6, mode);
    // <R x, g> = <x, Rᵀ g>
    const g = randn(N * H * D, 5, 1, Float64Array);
    const gb = Float64Array.from(g);
    rope(gb, N, H, D, pos, t, mode, true);
    assert.ok(Math.abs(dot(y, g) - dot(x, gb)) < 1e-9, `${mode} backward`);
  }
});

test('RoPE on part of the head leaves the other dims alone', () => {
  const x = randn(16, 6, 1, Float64Array);
  const y = Float64Array.from(x);
  rope(y, 1, 1, 16, Int32Array.from([3]), ropeTable(8, 10000, 4), 'neox');
  assert.deepEqual(Array.from(y.subarray(8)), Array.from(x.subarray(8)));
  assert.notDeepEqual(Array.from(y.subarray(0, 8)), Array.from(x.subarray(0, 8)));
});

test('SwiGLU backward (with a neuron mask) and the mask gradient match finite differences (F64)', () => {
  const N = 3, F = 4;
  const gu = randn(N * 2 * F, 7, 1, Float64Array), R = randn(N * F, 8, 1, Float64Array);
  const mask = Float64Array.from([1, 0, 1, 0.5]);
  const h = new Float64Array(N * F);
  const loss = (): number => { swigluForward(h, gu, 0, gu, F, 2 * F, N, F, mask); return dot(h, R); };
  loss();
  const dgu = new Float64Array(N * 2 * F), dmask = new Float64Array(F);
  swigluBackward(dgu, dgu, 0, F, 2 * F, R, gu, 0, gu, F, 2 * F, N, F, mask, dmask);
  checkElementwise('dgate|up', gu, dgu, loss);
  checkElementwise('dmask', mask, dmask, loss);
});

test('causal GQA attention backward matches finite differences, over two sequences', () => {
  const H = 4, Hkv = 2, D = 4, spans = [{ start: 0, len: 5 }, { start: 5, len: 3 }], N = 8;
  const q = randn(N * H * D, 9), k = randn(N * Hkv * D, 10), v = randn(N * Hkv * D, 11), R = randn(N * H * D, 12);
  const out = new Float32Array(N * H * D);
  const loss = (): number => { attentionForward(be, out, q, k, v, spans, H, Hkv, D); return dot(out, R); };
  const l0 = loss();
  const dq = new Float32Array(q.length), dk = new Float32Array(k.length), dv = new Float32Array(v.length);
  attentionBackward(be, dq, dk, dv, R, q, k, v, spans, H, Hkv, D);
  checkDirection('dq', q, dq, loss);
  checkDirection('dk', k, dk, loss);
  checkDirection('dv', v, dv, loss);
  // causality: changing the last token of sequence 0 leaves the earlier rows and the other sequence unchanged
  assert.equal(loss(), l0);
  const before = Float32Array.from(out);
  k[4 * Hkv * D] += 1; v[4 * Hkv * D] += 1;
  loss();
  assert.deepEqual(out.subarray(0, 4 * H * D), before.subarray(0, 4 * H * D));
  assert.deepEqual(out.subarray(5 * H * D), before.subarray(5 * H * D));
});

test('linear (dense and stored weight) with bias and LoRA: backward matches finite differences', () => {
  const m = 3, rows = 6, cols = 8, r = 2;
  const data = randn(rows * cols, 13);
  const dense: Linear = { name: 'w', rows, cols, type: 0, data, grad: new Float32Array(rows * cols),
    bias: randn(rows, 14), biasGrad: new Float32Array(rows) };
  const lora: LoraPair = { r, scale: 1.5, a: randn(r * cols, 15), b: randn(rows * r, 16),
    gradA: new Float32Array(r * cols), gradB: new Float32Array(rows * r) };
  const x = randn(m * cols, 17), R = randn(m * rows, 18), y = new Float32Array(m * rows), u = new Float32Array(m * r);
  const loss = (): number => { linearForward(be, dense, x, m, y, lora, u); return dot(y, R); };
  loss();
  const dx = new Float32Array(m * cols);
  linearBackward(be, dense, x, R, m, dx, lora, u);
  checkDirection('dx', x, dx, loss);
  checkDirection('dW', data, dense.grad!, loss);
  checkDirection('dbias', dense.bias!, dense.biasGrad!, loss);
  checkDirection('dA', lora.a, lora.gradA!, loss);
  checkDirection('dB', lora.b, lora.gradB!, loss);
  // the same weight stored (F32 bytes on the backend) gives the same output and input gradient
  const stored: Linear = { name: 'w', rows, cols, type: 0,
    handle: be.uploadWeight(0, new Uint8Array(data.buffer.slice(0)), cols, rows), bias: dense.bias };
  loss();
  const y2 = new Float32Array(m * rows);
  linearForward(be, stored, x, m, y2, lora, new Float32Array(m * r));
  for (let i = 0; i < y.length; i++) assert.ok(Math.abs(y[i] - y2[i]) < 1e-5, `y[${i}]`);
  const dx2 = new Float32Array(m * cols);
  linearBackward(be, stored, x, R, m, dx2, lora, u);
  for (let i = 0; i < dx.length; i++) assert.ok(Math.abs(dx[i] - dx2[i]) < 1e-5, `dx[${i}]`);
});

test('output head log-softmax NLL: log-probs normalise and the backward matches finite differences', () => {
  const N = 70, C = 6, V = 11; // more rows than one chunk
  const W: Linear = { name: 'output', rows: V, cols: C, type: 0, data: randn(V * C, 19), grad: new Float32Array(V * C) };
  const xn = randn(N * C, 20);
  const targets = new Int32Array(N).map((_, i) => (i % 5 === 4 ? -1 : (i * 7) % V));
  const weights = randn(N, 21);
  const logp = new Float32Array(N);
  const loss = (): number => headLoss(be, W, xn, N, targets, weights, logp, null);
  const dxn = new Float32Array(N * C);
  const l = headLoss(be, W, xn, N, targets, weights, logp, dxn);
  assert.ok(Number.isNaN(logp[4]) && logp[0] < 0);
  let expect = 0;
  for (let t = 0; t < N; t++) if (targets[t] >= 0) expect -= weights[t] * logp[t];
  assert.ok(Math.abs(l - expect) < 1e-4);
  // softmax over all tokens sums to 1: check row 0 by evaluating every target
  let s = 0;
  for (let v = 0; v < V; v++) {
    const lp = new Float32Array(1);
    headLoss(be, W, xn, 1, Int32Array.from([v]), null, lp, null);
    s += Math.exp(lp[0]);
  }
  assert.ok(Math.abs(s - 1) < 1e-5);
  checkDirection('dxn', xn, dxn, loss);
  checkDirection('dW', W.data!, W.grad!, loss);
});

test('attention over long sequences (several query blocks) equals a naive causal softmax(QKᵀ/√D)·V; backward matches FD', () => {
  const H = 2, Hkv = 1, D = 4, spans = [{ start: 0, len: 300 }, { start: 300, len: 70 }], N = 370; // 256-row query blocks
  const q = randn(N * H * D, 31), k = randn(N * Hkv * D, 32), v = randn(N * Hkv * D, 33), R = randn(N * H * D, 34);
  const out = new Float32Array(N * H * D);
  attentionForward(be, out, q, k, v, spans, H, Hkv, D);
  for (const { start, len } of spans) {
    for (const t of [0, 63, 64, 65, 255, 256, 257, len - 1].filter((x) => x < len)) {
      for (let h = 0; h < H; h++) {
        const qo = (start + t) * H * D + h * D;
        const sc: number[] = [];
        for (let j = 0; j <= t; j++) {
          let d = 0;
          for (let e = 0; e < D; e++) d += q[qo + e] * k[(start + j) * D + e];
          sc.push(d / Math.sqrt(D));
        }
        const mx = Math.max(...sc), ex = sc.map((x) => Math.exp(x - mx)), z = ex.reduce((a, b) => a + b, 0);
        for (let e = 0; e < D; e++) {
          let o = 0;
          for (let j = 0; j <= t; j++) o += (ex[j] / z) * v[(start + j) * D + e];
          assert.ok(Math.abs(o - out[qo + e]) < 1e-5, `row ${start + t} head ${h} dim ${e}: ${out[qo + e]} vs ${o}`);
        }
      }
    }
  }
  const loss = (): number => { attentionForward(be, out, q, k, v, spans, H, Hkv, D); return dot(out, R); };
  const dq = new Float32Array(q.length), dk = new Float32Array(k.length), dv = new Float32Array(v.length);
  attentionBackward(be, dq, dk, dv, R, q, k, v, spans, H, Hkv, D);
  checkDirection('dq', q, dq, loss);
  checkDirection('dk', k, dk, loss);
  checkDirection('dv', v, dv, loss);
});
