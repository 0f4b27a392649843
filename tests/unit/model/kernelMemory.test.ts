import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createReferenceBackend, createWasmBackend, type KernelBackend } from '../../../src/engine/kernels/index.js';
import { batchLogprobs, createRandomModel, makeBatch } from '../../../src/engine/model/index.js';
import { attentionForward } from '../../../src/engine/model/ops/attention.js';
import { ensureKernelsBuilt } from '../kernels/ensureKernelsBuilt.js';
import { randn } from './fdCheck.js';

// Forward-only runs keep their activations in the WASM kernels' memory (allocF32): attention then copies head
// columns inside that memory, and batchLogprobs must hand every array back afterwards.
let wasm: KernelBackend;
before(async () => { ensureKernelsBuilt(); wasm = await createWasmBackend({ threads: 2, parallelThreshold: 0 }); });
after(() => wasm.dispose());

test('attention on arrays in kernel memory (output over q, GQA, several 256-row blocks) equals the reference', () => {
  const H = 4, Hkv = 2, D = 8, spans = [{ start: 0, len: 300 }, { start: 300, len: 70 }], N = 370;
  const q = randn(N * H * D, 41), k = randn(N * Hkv * D, 42), v = randn(N * Hkv * D, 43);
  const want = new Float32Array(N * H * D);
  attentionForward(createReferenceBackend(), want, q, k, v, spans, H, Hkv, D);
  const qw = wasm.allocF32(q.length), kw = wasm.allocF32(k.length), vw = wasm.allocF32(v.length);
  qw.set(q); kw.set(k); vw.set(v);
  attentionForward(wasm, qw, qw, kw, vw, spans, H, Hkv, D);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(qw[i] - want[i]) < 1e-5, `element ${i}: ${qw[i]} vs ${want[i]}`);
  for (const a of [qw, kw, vw]) wasm.freeF32(a);
});

test('batchLogprobs frees the kernel-memory activations it allocated, and gives the same log-probs again', () => {
  const model = createRandomModel({ architecture: 'llama', nVocab: 40, nEmbd: 64, nLayer: 2, nHead: 4, nHeadKv: 2, nFf: 96, initStd: 0.1, seed: 3 }, wasm);
  const inUse = (): number => (wasm as unknown as { memoryInUse: number }).memoryInUse;
  const batch = makeBatch([Array.from({ length: 40 }, (_, i) => (i * 7) % 40), [1, 2, 3]]);
  const first = batchLogprobs(model, batch);
  const used = inUse();
  const second = batchLogprobs(model, batch);
  assert.equal(inUse(), used);
  assert.deepEqual(second, first);
  model.dispose();
});
