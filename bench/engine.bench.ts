// Transformer engine speed and memory against llama.cpp, measured side by side in one run on the same files.
//   npm run bench engine        (or: node --import tsx bench/engine.bench.ts [--threads N])
// Model: llama, n_embd 1024, 4 layers, n_ff 2816, 16 heads (F32 ≈ 200 MB, and a Q4_K copy), generated in
// os.tmpdir() and deleted afterwards. Prompt: 512 tokens. Same thread count for both engines.
// Figures: forward tokens/s (ours: embedding → logits → log-probs; llama.cpp: prompt evaluation) and their ratio;
// forward + LoRA backward tokens/s (r 8 on attn_q/attn_v/ffn_up/ffn_down); peak RSS of a child process that only
// runs our forward on the Q4_K model (it must stay within file size + 20% + activations).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWasmBackend } from '../src/engine/kernels/index.js';
import { nllWeights } from '../src/engine/loss/index.js';
import { batchLogprobs, loadEngineModel, LoraAdapter, lossAndGrad, makeBatch } from '../src/engine/model/index.js';
import { writeTestModel } from '../src/engine/synth/index.js';

const argThreads = process.argv.indexOf('--threads');
const threads = argThreads > 0 ? Number(process.argv[argThreads + 1]) : os.availableParallelism();
const SHAPE = { arch: 'llama' as const, nEmbd: 1024, nLayer: 4, nFf: 2816, nHead: 16, nHeadKv: 16, contextLength: 1024, seed: 1 };
const PROMPT = 512;
const tokens = Array.from({ length: PROMPT }, (_, i) => 3 + ((i * 7919 + 13) % 250));

/** Fastest of `reps` runs, seconds (the machines are shared: the fastest run is the best estimate of the cost). */
async function best(reps: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  let b = Infinity;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await fn();
    b = Math.min(b, (performance.now() - t) / 1000);
  }
  return b;
}

// Child mode: load the model with the WASM backend, run one forward, report peak RSS.
if (process.argv[2] === '--rss-child') {
  const file = process.argv[3];
  const backend = await createWasmBackend({ threads });
  const baseline = process.memoryUsage().rss; // Node, tsx and the kernel workers, before any model
  const model = await loadEngineModel(file, { backend });
  const loaded = process.memoryUsage().rss;
  batchLogprobs(model, makeBatch([tokens]));
  console.log(JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024, baseline, loaded }));
  model.dispose();
  backend.dispose();
  process.exit(0);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-bench-'));
const { getLlama } = await import('node-llama-cpp');
const llama = await getLlama({ gpu: false, build: 'never' });
const mb = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MB`;
try {
  const files = { F32: path.join(dir, 'f32.gguf'), Q4_K: path.join(dir, 'q4k.gguf') };
  await writeTestModel(files.F32, { ...SHAPE, weightType: 'F32' });
  await writeTestModel(files.Q4_K, { ...SHAPE, weightType: 'Q4_K' });
  console.log(`threads ${threads}; model llama 1024×4 layers, n_ff 2816; prompt ${PROMPT} tokens`);
  const backend = await createWasmBackend({ threads });
  for (const [name, file] of process.argv.includes('--rss-only') ? [] : Object.entries(files)) {
    const size = fs.statSync(file).size;
    // llama.cpp prompt evaluation
    const lm = await llama.loadModel({ modelPath: file });
    const ctx = await lm.createContext({ contextSize: 1024, batchSize: PROMPT, threads });
    const seq = ctx.getSequence();
    const theirs = await best(3, async () => { await seq.clearHistory(); await seq.evaluateWithoutGeneratingNewTokens(tokens as never); });
    await ctx.dispose();
    await lm.dispose();
    // ours: forward to log-probs
    const model = await loadEngineModel(file, { backend });
    const batch = makeBatch([tokens]);
    const ours = await best(3, () => batchLogprobs(model, batch));
    const flops = 2 * PROMPT * (4 * (4 * 1024 * 1024 + 3 * 1024 * 2816));
    console.log(`${name} (${mb(size)}): llama.cpp ${(PROMPT / theirs).toFixed(0)} tok/s, ours ${(PROMPT / ours).toFixed(0)} tok/s ` +
      `(${(flops / ours / 1e9).toFixed(1)} GFLOP/s in the blocks), ratio ours/llama.cpp ${(theirs / ours).toFixed(2)}`);
    // forward + LoRA backward
    const lora = LoraAdapter.create(model, { r: 8, alpha: 16, targets: ['attn_q', 'attn_v', 'ffn_up', 'ffn_down'] });
    const weights = nllWeights(batch);
    const train = await best(2, () => { lora.zeroGrad(); lossAndGrad(model, batch, { weights }, { lora }); });
    console.log(`${name}: forward + LoRA backward ${(PROMPT / train).toFixed(0)} tok/s ` +
      `(${(train / ours).toFixed(1)}× the forward time; ratio to llama.cpp forward ${(theirs / train).toFixed(2)})`);
    model.dispose();
  }
  backend.dispose();
  // peak RSS of our forward on the Q4_K model, alone in a child process
  const size = fs.statSync(files.Q4_K).size;
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--rss-child', files.Q4_K, '--threads', String(threads)],
    { encoding: 'utf8' });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  const { maxRssBytes, baseline, loaded } = JSON.parse(line) as { maxRssBytes: number; baseline: number; loaded: number };
  // activations of one 512-token forward, F32: one set of block buffers reused by every block (9 [N, C], gate|up and
  // h [N, 3F], attention scores), the kernels' input/output copies [N, C + F] and the rounded-input buffer [N, F]
  const acts = 4 * (PROMPT * 1024 * 9 + PROMPT * 2816 * 3 + 2 * PROMPT * PROMPT + PROMPT * (1024 + 2816) + PROMPT * 2816);
  const growth = maxRssBytes - baseline;
  const budget = 1.2 * size + acts;
  console.log(`Q4_K forward peak RSS ${mb(maxRssBytes)}: ${mb(baseline)} for Node + tsx + kernel workers before loading, ` +
    `then +${mb(growth)} for weights and one forward (+${mb(loaded - baseline)} after loading); budget file ${mb(size)} + 20% + activations ${mb(acts)} = ` +
    `${mb(budget)}: ${growth <= budget ? 'within' : `over by ${mb(growth - budget)}`}`);
} finally {
  await llama.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
}
