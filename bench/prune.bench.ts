// Pruning: (1) write throughput of the streaming rewriter — a plain copy of the file, an unchanged rewrite, and a
// 50 % uniform prune (ffn_down requantized) — with this process's peak RSS; (2) llama.cpp generation speed of the
// 50 %-pruned model against the base, next to the prediction from the weights each token reads (tokens/s ∝ 1 /
// weight bytes, generation being memory-bound); (3) scoring time per method on a smaller model. One run, side by side.
//   npm run bench prune     (env: BENCH_TOKENS=64 BENCH_ROUNDS=3 BENCH_THREADS=2 BENCH_STEPS=20)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { fileURLToPath } from 'node:url';
import { readGguf, rewriteGguf, type GgufFile } from '../src/engine/gguf/index.js';
import { createWasmBackend } from '../src/engine/kernels/index.js';
import {
  CALIBRATION_SAMPLE, calibrationFromTexts, ffnLayout, PRUNE_METHODS, pruneModel, scoreNeurons,
} from '../src/engine/prune/index.js';
import { writeTestModel } from '../src/engine/synth/index.js';
import { SpmTokenizer, tokenizerVocabFromGguf } from '../src/engine/tokenizer/index.js';
import { peakRss } from './peakRss.js';

const TOKENS = Number(process.env.BENCH_TOKENS ?? 64);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const STEPS = Number(process.env.BENCH_STEPS ?? 20);
const MB = 1e6;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
if (process.argv[2] === '--prune-child') {
  // child: prune 50 % and print this process's peak RSS
  await pruneModel({ modelPath: process.argv[3]!, out: process.argv[4]!, method: 'random', sparsity: 0.5, seed: 1 });
  console.log(peakRss());
  process.exit(0);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-bench-prune-'));

async function seconds(fn: () => Promise<unknown>): Promise<number> {
  gc();
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
}

/** Bytes of the weight matrices a generated token reads (all 2-D tensors but the embedding, looked up by row). */
function weightBytesPerToken(g: GgufFile): number {
  return g.tensors.filter((t) => t.shape.length === 2 && t.name !== 'token_embd.weight').reduce((s, t) => s + t.bytes, 0);
}


try {
  // ---- (1) write throughput ---------------------------------------------------------------------------------------
  const base = path.join(dir, 'base.gguf');
  await writeTestModel(base, { arch: 'llama', weightType: 'Q8_0', nEmbd: 1024, nFf: 4096, nLayer: 8, nHead: 16, nHeadKv: 8, contextLength: 512, seed: 3 });
  const size = fs.statSync(base).size;
  const copyS: number[] = [], rewriteS: number[] = [], pruneS: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    copyS.push(await seconds(() => fs.promises.copyFile(base, path.join(dir, 'copy.gguf'))));
    rewriteS.push(await seconds(() => rewriteGguf(base, path.join(dir, 'rewrite.gguf'), {})));
    pruneS.push(await seconds(() => pruneModel({ modelPath: base, out: path.join(dir, 'pruned.gguf'), method: 'random', sparsity: 0.5, seed: 1 })));
  }
  const pruned = path.join(dir, 'pruned.gguf');
  console.log(`write: ${(size / MB).toFixed(0)} MB Q8_0 llama (8 layers, n_ff 4096), median of ${ROUNDS}`);
  console.log(`  plain copy (fs.copyFile)      ${(size / MB / median(copyS)).toFixed(0).padStart(6)} MB/s`);
  console.log(`  rewriteGguf, no change        ${(size / MB / median(rewriteS)).toFixed(0).padStart(6)} MB/s   ratio to copy ${(median(copyS) / median(rewriteS)).toFixed(2)}`);
  console.log(`  prune 50 % (random, uniform)  ${(size / MB / median(pruneS)).toFixed(0).padStart(6)} MB/s of source   ratio to copy ${(median(copyS) / median(pruneS)).toFixed(2)}`);
  const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--prune-child', base, path.join(dir, 'child.gguf')], { encoding: 'utf8' });
  const childRss = Number(child.stdout.trim());
  console.log(`  peak RSS of a process that only prunes it: ${(childRss / MB).toFixed(0)} MB (the model is ${(size / MB).toFixed(0)} MB)`);

  // ---- (2) llama.cpp generation speed -----------------------------------------------------------------------------
  const { getLlama, LlamaCompletion } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never' });
  // both models loaded once; rounds alternate between them so a busy neighbour slows both alike
  const open = async (file: string) => {
    const model = await llama.loadModel({ modelPath: file });
    const ctx = await model.createContext({ contextSize: 512, threads: THREADS });
    const seq = ctx.getSequence();
    return { model, ctx, seq, completion: new LlamaCompletion({ contextSequence: seq }), prompt: model.tokenize('The pruned model writes', false) };
  };
  const sides = [await open(base), await open(pruned)];
  const tps: number[][] = [[], []];
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < 2; k++) {
      const s = sides[k];
      await s.seq.clearHistory();
      let n = 0;
      const t = performance.now();
      await s.completion.generateCompletion(s.prompt, { maxTokens: TOKENS, temperature: 0, repeatPenalty: false, onToken: (x) => (n += x.length) });
      tps[k].push(n / ((performance.now() - t) / 1000));
    }
  }
  for (const s of sides) { await s.ctx.dispose(); await s.model.dispose(); }
  const [baseTps, prunedTps] = tps;
  await llama.dispose();
  const [gb, gp] = [await readGguf(base), await readGguf(pruned)];
  const predicted = weightBytesPerToken(gb) / weightBytesPerToken(gp);
  const measured = median(prunedTps) / median(baseTps);
  console.log(`generation (llama.cpp CPU, ${THREADS} threads, ${TOKENS} tokens, median of ${ROUNDS} alternating rounds):`);
  console.log(`  base ${median(baseTps).toFixed(1)} tok/s, 50 % pruned ${median(prunedTps).toFixed(1)} tok/s: speed-up ${measured.toFixed(2)}× `
    + `vs ${predicted.toFixed(2)}× predicted from weight bytes per token (measured/predicted ${(measured / predicted).toFixed(2)})`);

  // ---- (3) scoring time per method ---------------------------------------------------------------------------------
  const small = path.join(dir, 'small.gguf');
  await writeTestModel(small, { arch: 'llama', weightType: 'Q8_0', nEmbd: 256, nFf: 1024, nLayer: 4, nHead: 8, nHeadKv: 4, contextLength: 512, seed: 5 });
  const file = await readGguf(small);
  const tok = new SpmTokenizer(tokenizerVocabFromGguf(file.metadata));
  const calibration = calibrationFromTexts([{ name: 'sample', text: CALIBRATION_SAMPLE }], (t) => tok.encode(t, { addBos: true }), { maxTokens: 512 });
  const backend = await createWasmBackend({ threads: THREADS });
  console.log(`scoring (4-layer Q8_0 llama, n_embd 256, n_ff 1024, ${calibration.tokens} calibration tokens, ${THREADS} kernel threads; movement/gum ${STEPS} steps):`);
  try {
    for (const method of PRUNE_METHODS) {
      const s = await seconds(() => scoreNeurons(method, { modelPath: small, file, layers: ffnLayout(file).layers, calibration, seed: 1, backend, steps: STEPS, keep: 0.5 }));
      console.log(`  ${method.padEnd(12)} ${s.toFixed(2).padStart(7)} s`);
    }
  } finally {
    backend.dispose();
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
