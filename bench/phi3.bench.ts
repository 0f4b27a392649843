// Real-scale benchmark on a Phi-3-mini-shaped model, side by side with llama.cpp in one run.
//   npm run bench phi3            (or: node --import tsx bench/phi3.bench.ts [--threads N])
//   npm run bench phi3 -- --dpo-pairs 1 --dpo-tokens 64 --calibration 128   (the smaller steps, see below)
// Model: phi3, 32 layers, 3072 wide, FFN 8192, 32 heads, vocabulary 32064; Q4_K matrices, Q6_K output, random
// weights (≈ 2.3 GB). Written once, as a stream, to the user's cache folder ($XDG_CACHE_HOME or ~/.cache, under
// model-lab/bench; never the repository) and reused by later runs. Each of our measurements runs in a child
// process of its own, so that its peak RSS (VmHWM) is its own:
//   - inference: load time, forward tokens/s on a 256-token prompt (embedding → log-probs), peak RSS;
//   - training: one DPO step (4 pairs × 256 tokens, LoRA rank 8 on q/k/v/o, i.e. attn_qkv and attn_output, AdamW),
//     seconds and tokens/s, peak RSS (training − inference must be adapter + optimizer + activations: the
//     reference model is the same weights with the adapter off, never a second copy);
//   - pruning: activation-aware (Wanda-sp) neuron scores over 512 calibration tokens, seconds.
// llama.cpp (node-llama-cpp, CPU, same threads): load time and prompt evaluation of the same 256 tokens.
// MODEL_LAB_BENCH_SMALL=1 runs the same steps on a small model of the same layout (to check the bench itself).
// Smaller steps where the full ones take hours (a busy 2-core machine): --dpo-pairs P --dpo-tokens T (the DPO step
// on P pairs of T tokens; its time for the 4 × 256 is then printed as an extrapolation, labelled so),
// --calibration K (pruning scores over K tokens), --prompt N (forward prompt length). Defaults: the issue's
// configuration (4 pairs × 256 tokens, 512 calibration tokens, 256-token prompt).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readGguf } from '../src/engine/gguf/index.js';
import { createWasmBackend } from '../src/engine/kernels/index.js';
import { batchLogprobs, loadEngineModel, LoraAdapter, makeBatch } from '../src/engine/model/index.js';
import { AdamW } from '../src/engine/optim/index.js';
import { ffnLayout, scoreNeurons } from '../src/engine/prune/index.js';
import { GGML_TYPE } from '../src/engine/quant/index.js';
import { preferenceTrainObjective, type EncodedPair } from '../src/engine/tune/index.js';
import { writeShapedModel } from '../tests/integration/kernels/shapedModel.js';
import { peakRss } from './peakRss.js';

const argThreads = process.argv.indexOf('--threads');
const threads = argThreads > 0 ? Number(process.argv[argThreads + 1]) : os.availableParallelism();
const small = process.env.MODEL_LAB_BENCH_SMALL === '1';
/** --name N (a whole number ≥ 1), or the default. */
function intArg(name: string, dflt: number): number {
  const at = process.argv.indexOf(name);
  if (at < 0) return dflt;
  const v = Number(process.argv[at + 1]);
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} needs a whole number ≥ 1, not '${process.argv[at + 1]}'.`);
  return v;
}
const SHAPE = small
  ? { arch: 'phi3' as const, nEmbd: 256, nLayer: 2, nFf: 512, nHead: 4, nHeadKv: 4, nVocab: 32064 }
  : { arch: 'phi3' as const, nEmbd: 3072, nLayer: 32, nFf: 8192, nHead: 32, nHeadKv: 32, nVocab: 32064 };
const PROMPT = intArg('--prompt', 256);
/** The DPO step: 4 pairs × 256 tokens. */
const FULL_PAIRS = 4, FULL_PAIR_TOKENS = 256;
const PAIRS = intArg('--dpo-pairs', FULL_PAIRS);
const PAIR_TOKENS = intArg('--dpo-tokens', FULL_PAIR_TOKENS);
if (PAIR_TOKENS < 2) throw new RangeError('--dpo-tokens needs at least 2 tokens (a prompt and an answer).');
const CALIBRATION = intArg('--calibration', 512);

/** Deterministic token ids in [3, nVocab): past the control tokens. */
function tokens(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return 3 + (s % (SHAPE.nVocab - 3));
  });
}
const seconds = (t0: number): number => (performance.now() - t0) / 1000;

// ---- child processes: one measurement each, printed as one JSON line
const childAt = process.argv.indexOf('--child');
if (childAt > 0) {
  const what = process.argv[childAt + 1];
  const file = process.argv[childAt + 2];
  const out: Record<string, number | string> = {};
  if (what === 'prune') {
    const gguf = await readGguf(file);
    const seqs = [tokens(Math.ceil(CALIBRATION / 2), 11), tokens(Math.floor(CALIBRATION / 2) || 1, 12)];
    const t0 = performance.now();
    await scoreNeurons('activation', { modelPath: file, file: gguf, layers: ffnLayout(gguf).layers, seed: 1, threads,
      calibration: { sequences: seqs, tokens: CALIBRATION, sha256: '', source: 'random tokens' } });
    out.seconds = seconds(t0);
  } else {
    const backend = await createWasmBackend({ threads });
    let t0 = performance.now();
    const model = await loadEngineModel(file, { backend });
    out.loadS = seconds(t0);
    out.rssLoaded = process.memoryUsage().rss;
    if (what === 'infer') {
      const batch = makeBatch([tokens(PROMPT, 1)]);
      t0 = performance.now();
      batchLogprobs(model, batch);
      out.forwardS = seconds(t0);
    } else {
      const lora = LoraAdapter.create(model, { r: 8, alpha: 16, targets: ['attn_qkv', 'attn_output'] });
      const pairs: EncodedPair[] = Array.from({ length: PAIRS }, (_, i) => ({
        chosen: Int32Array.from(tokens(PAIR_TOKENS, 100 + 2 * i)), rejected: Int32Array.from(tokens(PAIR_TOKENS, 101 + 2 * i)),
        chosenStart: PAIR_TOKENS >> 1, rejectedStart: PAIR_TOKENS >> 1,
      }));
      // reference log-probs are computed once per pair before training and cached: not part of a step
      const reference = { chosen: new Float64Array(PAIRS), rejected: new Float64Array(PAIRS) };
      const objective = preferenceTrainObjective({ model, lora, pairs, reference, mix: { dpo: 1 }, beta: 0.1, seed: 1, microBatch: PAIRS });
      const opt = new AdamW(objective.params, { lr: 1e-4 });
      t0 = performance.now();
      const r = objective.microStep(0, PAIRS, PAIRS);
      opt.step();
      out.stepS = seconds(t0);
      out.stepTokens = r.tokens;
      out.adapterBytes = objective.params.reduce((s, p) => s + p.data.byteLength, 0);
    }
    model.dispose();
    backend.dispose();
  }
  out.peakRss = peakRss();
  console.log(JSON.stringify(out));
  process.exit(0);
}

// ---- parent: the model file, llama.cpp, then our children
const cacheRoot = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
const dir = path.join(cacheRoot, 'model-lab', 'bench');
fs.mkdirSync(dir, { recursive: true });
const file = path.join(dir, small ? 'phi3-small-shaped-Q4_K.gguf' : 'phi3-mini-shaped-Q4_K-Q6_K-output.gguf');
const gb = (b: number): string => `${(b / 1e9).toFixed(2)} GB`;
let cached = false;
try {
  await readGguf(file); // a complete, valid file from an earlier run (the reader checks every tensor's extent)
  cached = true;
} catch { /* missing or cut short: write it */ }
if (!cached) {
  const tmp = `${file}.${process.pid}.tmp`;
  const t0 = performance.now();
  let shown = 0;
  process.stdout.write(`writing ${file} (once) …`);
  await writeShapedModel(tmp, { ...SHAPE, contextLength: 4096, weightType: GGML_TYPE.Q4_K, outputType: GGML_TYPE.Q6_K, data: 'random',
    onProgress: (f) => { if (f >= shown + 0.1) { shown = Math.floor(f * 10) / 10; process.stdout.write(` ${Math.round(100 * shown)}%`); } } });
  fs.renameSync(tmp, file);
  console.log(` done in ${seconds(t0).toFixed(0)} s`);
}
const size = fs.statSync(file).size;
console.log(`model ${path.basename(file)}: phi3 ${SHAPE.nLayer} layers × ${SHAPE.nEmbd}, FFN ${SHAPE.nFf}, ${SHAPE.nHead} heads, ` +
  `vocabulary ${SHAPE.nVocab}, ${gb(size)}${cached ? ' (cached)' : ''}; threads ${threads}; prompt ${PROMPT} tokens`);

function child(what: string): Record<string, number> {
  const opts = ['--threads', threads, '--prompt', PROMPT, '--dpo-pairs', PAIRS, '--dpo-tokens', PAIR_TOKENS, '--calibration', CALIBRATION].map(String);
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', what, file, ...opts],
    { encoding: 'utf8', maxBuffer: 2 ** 24 });
  if (r.stderr.trim()) process.stderr.write(r.stderr);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Record<string, number>;
  } catch {
    throw new Error(`the ${what} child failed (status ${r.status}): ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  }
}

// llama.cpp: load and prompt evaluation (best of 2)
const { getLlama } = await import('node-llama-cpp');
const llama = await getLlama({ gpu: false, build: 'never' });
let theirLoad: number;
let theirs = Infinity;
try {
  let t0 = performance.now();
  const lm = await llama.loadModel({ modelPath: file });
  theirLoad = seconds(t0);
  const ctx = await lm.createContext({ contextSize: 2 * PROMPT, batchSize: PROMPT, threads });
  const seq = ctx.getSequence();
  for (let i = 0; i < 2; i++) {
    await seq.clearHistory();
    t0 = performance.now();
    await seq.evaluateWithoutGeneratingNewTokens(tokens(PROMPT, 1) as never);
    theirs = Math.min(theirs, seconds(t0));
  }
  await ctx.dispose();
  await lm.dispose();
} finally {
  await llama.dispose();
}

const infer = child('infer');
console.log(`load: ours ${infer.loadS.toFixed(1)} s, llama.cpp ${theirLoad.toFixed(1)} s`);
console.log(`forward, ${PROMPT}-token prompt: llama.cpp ${(PROMPT / theirs).toFixed(1)} tok/s, ours ${(PROMPT / infer.forwardS).toFixed(1)} tok/s, ` +
  `ratio ours/llama.cpp ${(theirs / infer.forwardS).toFixed(2)}`);
console.log(`peak RSS of inference ${gb(infer.peakRss)} (after loading ${gb(infer.rssLoaded)}; file ${gb(size)})`);
const train = child('train');
const trainTps = train.stepTokens / train.stepS;
console.log(`one DPO step (${PAIRS} pairs × ${PAIR_TOKENS} tokens, LoRA r 8 on attn_qkv + attn_output, AdamW): ${train.stepS.toFixed(1)} s, ` +
  `${trainTps.toFixed(1)} tok/s (forward + backward of ${train.stepTokens} tokens; ${(trainTps / (PROMPT / infer.forwardS)).toFixed(2)}× our forward tok/s)`);
if (PAIRS !== FULL_PAIRS || PAIR_TOKENS !== FULL_PAIR_TOKENS) {
  const fullTokens = 2 * FULL_PAIRS * FULL_PAIR_TOKENS;
  console.log(`  EXTRAPOLATED, not measured: the issue's step (${FULL_PAIRS} pairs × ${FULL_PAIR_TOKENS} tokens, ${fullTokens} tokens) at ` +
    `this step's ${trainTps.toFixed(1)} tok/s would take ≈ ${(fullTokens / trainTps).toFixed(0)} s (linear in tokens; attention grows ` +
    `faster with longer sequences, so this is a lower bound)`);
}
console.log(`peak RSS: inference ${gb(infer.peakRss)}, training ${gb(train.peakRss)}; ` +
  `training − inference ${gb(train.peakRss - infer.peakRss)} (adapter ${(train.adapterBytes / 2 ** 20).toFixed(1)} MiB + AdamW 2× that + activations; ` +
  `one copy of the weights: file ${gb(size)})`);
let prune: string;
try {
  prune = `${child('prune').seconds.toFixed(1)} s`;
} catch (e) {
  prune = `n/a (${(e as Error).message})`;
}
console.log(`activation-aware pruning scores over ${CALIBRATION} calibration tokens${CALIBRATION !== 512 ? ' (fewer than the issue\'s 512)' : ''}: ${prune}`);
