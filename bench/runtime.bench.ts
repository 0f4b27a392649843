// Generation speed through the runtime process (RuntimeClient → JSON-RPC over IPC → node-llama-cpp) against
// node-llama-cpp called in this process, same model, same settings, runs interleaved. Prints both and the ratio.
//   npm run bench runtime            (env: BENCH_TOKENS=128 BENCH_ROUNDS=5 BENCH_THREADS=1)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeTestModel } from '../src/engine/synth/index.js';
import { RuntimeClient } from '../src/runtime/client/RuntimeClient.js';

const tokens = Number(process.env.BENCH_TOKENS ?? 128);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const threads = Number(process.env.BENCH_THREADS ?? 1);
const prompt = 'The runtime process streams every token back to the editor while';
const contextSize = 512;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-bench-'));
const modelPath = path.join(dir, 'bench.gguf');
// big enough that a token costs real compute (IPC must be small against it), small enough to write quickly
await writeTestModel(modelPath, { arch: 'llama', nEmbd: 512, nLayer: 4, nHead: 8, nHeadKv: 4, nFf: 1408, contextLength: 1024, seed: 5 });

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// ---- in-process --------------------------------------------------------------------------------------------
const { getLlama, LlamaCompletion } = await import('node-llama-cpp');
const llama = await getLlama({ gpu: 'auto', build: 'never' });
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({ contextSize, threads });
const sequence = context.getSequence();
const completion = new LlamaCompletion({ contextSequence: sequence });
const promptTokens = model.tokenize(prompt, false);

async function inProcess(): Promise<number> {
  await sequence.clearHistory();
  let n = 0;
  const t0 = performance.now();
  await completion.generateCompletion(promptTokens, { maxTokens: tokens, temperature: 0, repeatPenalty: false, onToken: (t) => (n += t.length) });
  return n / ((performance.now() - t0) / 1000);
}

// ---- through the runtime process ------------------------------------------------------------------------------
const built = path.join(root, 'dist/runtime.js');
// the built child (what users run) when `npm run bench` has built it, else the source under tsx
const client = new RuntimeClient({ threads, entry: fs.existsSync(built) ? built : path.join(root, 'src/runtime/main.ts') });
await client.loadModel({ id: 'bench', path: modelPath });
await client.createSession({ id: 'bench', modelId: 'bench', contextSize, threads });

async function viaRuntime(): Promise<{ callerTps: number; reportedTps: number }> {
  await client.resetSession('bench');
  let n = 0;
  const t0 = performance.now();
  const r = await client.generate({ sessionId: 'bench', prompt, maxTokens: tokens, temperature: 0 }, { onChunk: (c) => (n += c.tokens.length) });
  return { callerTps: n / ((performance.now() - t0) / 1000), reportedTps: r.tokensPerSecond };
}

try {
  await inProcess(); // warm-up both sides
  await viaRuntime();
  const inp: number[] = [];
  const via: number[] = [];
  const reported: number[] = [];
  for (let i = 0; i < rounds; i++) {
    inp.push(await inProcess());
    const v = await viaRuntime();
    via.push(v.callerTps);
    reported.push(v.reportedTps);
  }
  const info = await client.backendInfo();
  console.log(`model: llama n_embd 512, 4 layers, n_ff 1408, F32 (${(fs.statSync(modelPath).size / 2 ** 20).toFixed(0)} MiB); backend ${info.backend}; threads ${threads}; ${tokens} tokens, greedy; ${rounds} rounds interleaved`);
  console.log(`in-process node-llama-cpp : ${median(inp).toFixed(1)} tok/s (median; all: ${inp.map((x) => x.toFixed(0)).join(' ')})`);
  console.log(`runtime process (caller)  : ${median(via).toFixed(1)} tok/s (median; all: ${via.map((x) => x.toFixed(0)).join(' ')})`);
  console.log(`runtime process (decode, as the child reports it): ${median(reported).toFixed(1)} tok/s`);
  console.log(`ratio runtime/in-process  : ${(median(via) / median(inp)).toFixed(3)}   (aim ≥ 0.97)`);
} finally {
  await client.dispose();
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
}
