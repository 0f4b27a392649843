// LoRA preference tuning on the engine: (1) training tokens/s (DPO step: forward + backward through the frozen
// base, LoRA on every projection) against forward-only tokens/s (log-probs) on the same model and sequences;
// (2) peak RSS of a training process against an inference process on the same quantized base (Hydra: one copy of
// the weights; the reference is the same base with the adapter off, so training adds only LoRA, optimizer state
// and activations). Each mode runs in its own child so each peak is its own. One run, side by side.
//   npm run bench tune     (env: BENCH_TYPE=Q4_K BENCH_STEPS=6 BENCH_THREADS=2)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createWasmBackend } from '../src/engine/kernels/index.js';
import { batchLogprobs, loadEngineModel, makeBatch } from '../src/engine/model/index.js';
import { Rng } from '../src/engine/model/random.js';
import { writeTestModel, type TestWeightType } from '../src/engine/synth/index.js';
import { DEFAULT_TUNE, trainPreferences, type EncodedPair } from '../src/engine/tune/index.js';
import { peakRss } from './peakRss.js';

const TYPE = (process.env.BENCH_TYPE ?? 'Q4_K') as TestWeightType;
const STEPS = Number(process.env.BENCH_STEPS ?? 6);
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const SEQ = 96;
const MB = 2 ** 20;

function pairs(n: number, vocab: number): EncodedPair[] {
  const rng = new Rng(1);
  const tok = (): number => 3 + Math.floor(rng.next() * (vocab - 3));
  return Array.from({ length: n }, () => {
    const prompt = [1, ...Array.from({ length: SEQ - 17 }, tok)];
    return { chosen: Int32Array.from([...prompt, ...Array.from({ length: 16 }, tok)]), rejected: Int32Array.from([...prompt, ...Array.from({ length: 16 }, tok)]), chosenStart: prompt.length, rejectedStart: prompt.length };
  });
}

async function child(mode: string, model: string, runDir: string): Promise<void> {
  const backend = await createWasmBackend({ threads: THREADS });
  const m = await loadEngineModel(model, { backend });
  const data = pairs(DEFAULT_TUNE.batchSize * STEPS, m.spec.nVocab);
  const t = performance.now();
  let tokens = 0;
  if (mode === 'forward') {
    for (let i = 0; i < data.length; i += DEFAULT_TUNE.microBatch!) {
      const batch = makeBatch(data.slice(i, i + DEFAULT_TUNE.microBatch!).flatMap((p) => [p.chosen, p.rejected]));
      batchLogprobs(m, batch);
      tokens += batch.tokens.length;
    }
  } else {
    const r = await trainPreferences(runDir, m, { ...DEFAULT_TUNE, steps: STEPS, warmupSteps: Math.min(DEFAULT_TUNE.warmupSteps, STEPS), checkpointEvery: STEPS }, { train: data, baseId: 'bench' });
    tokens = r.steps * DEFAULT_TUNE.batchSize * 2 * SEQ; // the reference pass over the pairs is inside the time too
  }
  const sec = (performance.now() - t) / 1000;
  console.log(JSON.stringify({ tokensPerSec: tokens / sec, peakRss: peakRss() }));
  m.dispose();
  backend.dispose();
}

if (process.argv[2] === '--child') {
  await child(process.argv[3]!, process.argv[4]!, process.argv[5]!);
  process.exit(0);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-bench-tune-'));
try {
  const model = path.join(dir, 'base.gguf');
  await writeTestModel(model, { arch: 'phi3', weightType: TYPE, nEmbd: 512, nFf: 1536, nLayer: 6, nHead: 8, nHeadKv: 8, contextLength: 256, seed: 2 });
  const run = (mode: string): { tokensPerSec: number; peakRss: number } => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', mode, model, path.join(dir, `run-${mode}`)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${mode} child failed: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!);
  };
  const fwd = run('forward');
  const train = run('train');
  const fileMb = fs.statSync(model).size / MB;
  console.log(`phi3 test model, ${TYPE} (${fileMb.toFixed(1)} MiB), LoRA r=${DEFAULT_TUNE.lora.r} on every projection, ${THREADS} threads, ${STEPS} DPO steps of ${DEFAULT_TUNE.batchSize} pairs × 2 × ${SEQ} tokens`);
  console.log(`  forward (log-probs)   ${fwd.tokensPerSec.toFixed(0).padStart(7)} tok/s   peak RSS ${(fwd.peakRss / MB).toFixed(0)} MiB`);
  console.log(`  training (DPO step)   ${train.tokensPerSec.toFixed(0).padStart(7)} tok/s   peak RSS ${(train.peakRss / MB).toFixed(0)} MiB`);
  console.log(`  training / forward: speed ${(train.tokensPerSec / fwd.tokensPerSec).toFixed(2)}×, peak RSS ${(train.peakRss / fwd.peakRss).toFixed(2)}× (a second copy of the weights would add ${fileMb.toFixed(0)} MiB)`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
