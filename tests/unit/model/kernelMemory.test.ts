import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createReferenceBackend, createWasmBackend, type KernelBackend } from '../../../src/engine/kernels/index.js';
import { nllWeights } from '../../../src/engine/loss/index.js';
import { batchLogprobs, createRandomModel, LoraAdapter, lossAndGrad, makeBatch } from '../../../src/engine/model/index.js';
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

test('lossAndGrad keeps its activations and gradients in kernel memory and frees them all: recompute on, off, auto, and an abort', () => {
  const cfg = { architecture: 'phi3' as const, nVocab: 40, nEmbd: 64, nLayer: 3, nHead: 4, nHeadKv: 4, nFf: 96, initStd: 0.1, seed: 5 };
  const model = createRandomModel(cfg, wasm);
  const refModel = createRandomModel(cfg); // the same weights on the reference backend
  const inUse = (): number => (wasm as unknown as { memoryInUse: number }).memoryInUse;
  const adapters = [model, refModel].map((m) => {
    const lora = LoraAdapter.create(m, { r: 4, alpha: 8, targets: ['attn_qkv', 'attn_output', 'ffn_down'], seed: 2 });
    let k = 7;
    for (const p of lora.pairs.values()) p.b.set(randn(p.b.length, k++, 0.1)); // B ≠ 0, so A gets a gradient too
    return lora;
  });
  const [lora, refLora] = adapters;
  const batch = makeBatch([Array.from({ length: 37 }, (_, i) => (i * 11) % 40), [3, 1, 4, 1, 5]]);
  const weights = nllWeights(batch);
  const grads = (l: LoraAdapter): Float32Array[] => l.parameters().map((p) => Float32Array.from(p.grad));
  lossAndGrad(refModel, batch, { weights }, { lora: refLora, recompute: true });
  const want = grads(refLora);
  lossAndGrad(model, batch, { weights }, { lora, recompute: true }); // the kernels' scratch settles here
  const used = inUse();
  const first = grads(lora);
  first.forEach((g, i) => g.forEach((v, j) => assert.ok(Math.abs(v - want[i][j]) <= 1e-5 + 1e-3 * Math.abs(want[i][j]),
    `${lora.parameters()[i].name}[${j}]: WASM ${v} vs reference ${want[i][j]}`)));
  for (const recompute of [true, false, 'auto'] as const) {
    lora.zeroGrad();
    lossAndGrad(model, batch, { weights }, { lora, recompute });
    assert.deepEqual(grads(lora), first, `recompute ${recompute}: the same gradients`);
    assert.equal(inUse(), used, `recompute ${recompute}: every array handed back`);
  }
  const ac = new AbortController();
  assert.throws(() => lossAndGrad(model, batch, { weights }, { lora, recompute: true, signal: ac.signal,
    onProgress: (f) => { if (f > 0.6) ac.abort(); } }), { name: 'AbortedError' });
  assert.equal(inUse(), used, 'an aborted backward hands its arrays back too');
  model.dispose();
  refModel.dispose();
});

test('lossAndGrad on a nearly full kernel memory keeps the arrays that do not fit in JavaScript memory: the same gradients', async () => {
  const small = await createWasmBackend({ threads: 2, parallelThreshold: 0, maxMemoryMiB: 16 });
  try {
    const cfg = { architecture: 'llama' as const, nVocab: 40, nEmbd: 64, nLayer: 3, nHead: 4, nHeadKv: 2, nFf: 96, initStd: 0.1, seed: 9 };
    // a batch whose activations (≈ 4 KB a row per block, kept for all 3 blocks) are more than the 16 MiB memory holds
    const batch = makeBatch([Array.from({ length: 1500 }, (_, i) => (i * 13) % 40), Array.from({ length: 700 }, (_, i) => (i * 5) % 40)]);
    const weights = nllWeights(batch);
    const run = (be: KernelBackend): Float32Array[] => {
      const model = createRandomModel(cfg, be);
      const lora = LoraAdapter.create(model, { r: 2, alpha: 4, targets: ['attn_q', 'ffn_down'], seed: 3 });
      let k = 1;
      for (const p of lora.pairs.values()) p.b.set(randn(p.b.length, k++, 0.1));
      lossAndGrad(model, batch, { weights }, { lora, recompute: false });
      const g = lora.parameters().map((p) => Float32Array.from(p.grad));
      model.dispose();
      return g;
    };
    const want = run(wasm);
    const got = run(small);
    assert.ok(small.memoryLimit! <= 16 * 2 ** 20, 'the small backend is limited to 16 MiB');
    got.forEach((g, i) => assert.deepEqual(g, want[i], `parameter ${i}: the same gradients as with room to spare`));
    assert.ok(small.memoryInUse! < 16 * 2 ** 20 - 4 * 2 ** 20, 'the arena left the reserve free');
  } finally {
    small.dispose();
  }
});
