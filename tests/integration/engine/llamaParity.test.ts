// Parity with llama.cpp: our per-token log-probs on generated models of each architecture and storage type against
// node-llama-cpp's (full-vocabulary softmax at temperature 0, F32 KV cache, flash attention off).
// F32: every token within 1e-3 (measured ≤ 7e-6).
// Other types: the engine rounds activations as llama.cpp's CPU matmul does (F16/BF16/Q8_0/Q8_K), and with
// llama.cpp's own inputs each op agrees to the last bit or two (rms_norm exactly). What is left are rounding-step
// flips: the F32 summation order of the matmuls and ggml's vectorised expf (softmax, silu) differ from ours in
// the last bit, and now and then such a value sits next to an F16/BF16/Q8 rounding boundary, so one element moves
// by a whole step (one F16 ulp, one Q8 step); through K/V that reaches every later token. llama.cpp has the same
// flips between its own CPU builds: on these models and prompts, its AVX2 (haswell), SSE4.2 and generic x64 builds
// differ per token from its AVX-512 (zen4) build by up to 3.5e-3 (F16), 2.0e-2 (BF16) and 0.13 (quantized), mean
// |Δ| up to 5.8e-4 / 1.9e-3 / 2.9e-2 — the same as ours (3.3e-3, 2.3e-2, 0.20; 6.4e-4, 2.3e-3, 2.7e-2), and on
// a 512-wide 4-layer model both grow (F16 ≈ 5e-3, quantized ≈ 0.2). A per-token bound of 1e-3 / 2e-2 would need
// the SIMD summation order of one llama.cpp build, which llama.cpp's other builds do not meet either. So for
// these types the test asserts the mean signed difference (perplexity agreement) within the target, the mean
// absolute difference within the target (F16), 3× (BF16) or 2× (quantized), and the worst token within 1e-2 (F16),
// 0.05 (BF16) or 0.25 (quantized); it prints max / p99 / median / mean. BF16's mean bound is 3× because over other
// prompt seeds llama.cpp's own builds exceed 2e-3 in 5 of 30 cases (ours in 3 of 15, up to 2.6e-3): at 2× a
// last-bit change anywhere (e.g. a bit-exact rope) trips it without any loss of accuracy.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createWasmBackend, type KernelBackend } from '../../../src/engine/kernels/index.js';
import { batchLogprobs, loadEngineModel, makeBatch, tokenLogprobs } from '../../../src/engine/model/index.js';
import { writeTestModel, type TestModelArch, type TestWeightType } from '../../../src/engine/synth/index.js';
import { EXACT_SCORING_CONTEXT, scoreTokens } from '../../../src/runtime/core/scoreTokens.js';

const LENGTHS = [1, 2, 17, 300];
const MODELS: Array<{ arch: TestModelArch; nHead: number; nHeadKv: number; tied: boolean }> = [
  { arch: 'llama', nHead: 4, nHeadKv: 2, tied: true },
  { arch: 'phi3', nHead: 4, nHeadKv: 4, tied: false },
  { arch: 'qwen2', nHead: 4, nHeadKv: 1, tied: false },
];
const TYPES: Array<{ type: TestWeightType; tol: number }> = [
  { type: 'F32', tol: 1e-3 }, { type: 'F16', tol: 1e-3 }, { type: 'BF16', tol: 1e-3 },
  { type: 'Q8_0', tol: 2e-2 }, { type: 'Q4_0', tol: 2e-2 }, { type: 'Q4_K', tol: 2e-2 }, { type: 'Q6_K', tol: 2e-2 },
];

// The reference is llama.cpp at full precision: F32 KV cache (its default F16 cache rounds K and V).
const CTX = { contextSize: 512, threads: 2, ...EXACT_SCORING_CONTEXT };

let dir = '';
let llama: any;
let backend: KernelBackend;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  const { getLlama } = await import('node-llama-cpp');
  llama = await getLlama({ gpu: false, build: 'never' });
  backend = await createWasmBackend({ threads: 2 });
});
after(async () => {
  backend?.dispose();
  await llama?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

function prompt(n: number, vocab: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return 3 + (s % (vocab - 3)); });
}

for (const m of MODELS) {
  for (const { type, tol } of TYPES) {
    test(`${m.arch} ${type} (heads ${m.nHead}/${m.nHeadKv}${m.tied ? ', tied output' : ''}): log-probs match llama.cpp's (target ${tol})`, async () => {
      const file = path.join(dir, `${m.arch}-${type}.gguf`);
      const k = type.endsWith('_K');
      await writeTestModel(file, { arch: m.arch, weightType: type, nEmbd: k ? 256 : 64, nFf: k ? 256 : 128, nLayer: 2,
        nHead: m.nHead, nHeadKv: m.nHeadKv, tiedOutput: m.tied, contextLength: 512, seed: 11 });
      const model = await llama.loadModel({ modelPath: file });
      const ctx = await model.createContext(CTX);
      const engine = await loadEngineModel(file, { backend });
      try {
        const seq = ctx.getSequence();
        const diffs: number[] = [];
        let signed = 0;
        for (const n of LENGTHS) {
          const tokens = prompt(n, engine.spec.nVocab, n * 7 + 1);
          const theirs = (await scoreTokens(seq, tokens, { window: 512 })).logprobs.slice(1) as number[];
          const ours = Array.from(batchLogprobs(engine, makeBatch([tokens])).subarray(0, n - 1));
          assert.equal(ours.length, n - 1);
          assert.equal(theirs.length, n - 1);
          for (let i = 0; i < n - 1; i++) { diffs.push(Math.abs(ours[i] - theirs[i])); signed += ours[i] - theirs[i]; }
        }
        diffs.sort((a, b) => a - b);
        const worst = diffs[diffs.length - 1], p99 = diffs[Math.floor(0.99 * (diffs.length - 1))];
        const meanAbs = diffs.reduce((a, b) => a + b, 0) / diffs.length, meanSigned = signed / diffs.length;
        console.log(`# ${m.arch} ${type}: |Δ log p| max ${worst.toExponential(2)}, p99 ${p99.toExponential(2)}, median ` +
          `${diffs[diffs.length >> 1].toExponential(2)}, mean ${meanAbs.toExponential(2)}; mean signed Δ ${meanSigned.toExponential(2)}`);
        if (type === 'F32') assert.ok(worst <= tol, `max |Δ log p| ${worst} over ${diffs.length} tokens`);
        else {
          // perplexity-level agreement (the mean per-token difference) within the target; single tokens looser
          assert.ok(Math.abs(meanSigned) <= tol, `mean Δ log p ${meanSigned} over ${diffs.length} tokens`);
          assert.ok(meanAbs <= (type === 'F16' ? 1 : type === 'BF16' ? 3 : 2) * tol, `mean |Δ log p| ${meanAbs} over ${diffs.length} tokens`);
          assert.ok(worst <= (type.startsWith('Q') ? 0.25 : type === 'F16' ? 1e-2 : 0.05), `max |Δ log p| ${worst} over ${diffs.length} tokens`);
        }
      } finally {
        engine.dispose();
        await ctx.dispose();
        await model.dispose();
      }
    });
  }
}

test('tokenLogprobs (the CONTRACTS.md entry point) returns n−1 log-probs equal to llama.cpp\'s', async () => {
  const file = path.join(dir, 'contract.gguf');
  await writeTestModel(file, { arch: 'llama', nEmbd: 64, nLayer: 2, contextLength: 512, seed: 5 });
  const tokens = prompt(40, 200, 3);
  const ours = await tokenLogprobs(file, tokens, { threads: 2 });
  const model = await llama.loadModel({ modelPath: file });
  const ctx = await model.createContext(CTX);
  try {
    const theirs = (await scoreTokens(ctx.getSequence(), tokens, { window: 512 })).logprobs.slice(1) as number[];
    assert.equal(ours.length, 39);
    ours.forEach((v, i) => assert.ok(Math.abs(v - theirs[i]) <= 1e-3, `token ${i + 1}: ${v} vs ${theirs[i]}`));
    assert.deepEqual(await tokenLogprobs(file, [5], {}), []);
  } finally {
    await ctx.dispose();
    await model.dispose();
  }
});
