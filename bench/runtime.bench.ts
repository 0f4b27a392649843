// Generation speed through the runtime process (RuntimeClient → JSON-RPC over IPC → node-llama-cpp) against
// node-llama-cpp called in this process, same model, same settings, runs interleaved. Prints both and the ratio.
//   npm run bench runtime            (env: BENCH_TOKENS=128 BENCH_ROUNDS=5 BENCH_THREADS=1)
import fs from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
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

// Collect garbage before each measured run, so one side's leftovers are not billed to the other.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * CPU time (ns) of every thread of a process, from /proc (Linux). On a shared, busy machine wall-clock speed
 * mostly measures the neighbours; tokens per CPU-second measures what the IPC path itself costs.
 */
function cpuNs(pid: number | 'self'): number | undefined {
  try {
    let sum = 0;
    for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
      sum += Number(fs.readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    }
    return sum;
  } catch {
    return undefined;
  }
}

// ---- in-process --------------------------------------------------------------------------------------------
const { getLlama, LlamaCompletion } = await import('node-llama-cpp');
const llama = await getLlama({ gpu: 'auto', build: 'never' });
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({ contextSize, threads });
const sequence = context.getSequence();
const completion = new LlamaCompletion({ contextSequence: sequence });
const promptTokens = model.tokenize(prompt, false);

interface Round {
  tps: number;
  /** tokens per CPU-second of all threads involved (undefined off Linux) */
  tpcs?: number;
}

async function inProcess(): Promise<Round> {
  await sequence.clearHistory();
  gc();
  let n = 0;
  const c0 = cpuNs('self');
  const t0 = performance.now();
  await completion.generateCompletion(promptTokens, { maxTokens: tokens, temperature: 0, repeatPenalty: false, onToken: (t) => (n += t.length) });
  const wall = (performance.now() - t0) / 1000;
  const c1 = cpuNs('self');
  return { tps: n / wall, tpcs: c0 !== undefined && c1 !== undefined ? n / ((c1 - c0) / 1e9) : undefined };
}

// ---- through the runtime process ------------------------------------------------------------------------------
const built = path.join(root, 'dist/runtime.js');
// the built child (what users run) when `npm run bench` has built it, else the source under tsx
const client = new RuntimeClient({ threads, entry: fs.existsSync(built) ? built : path.join(root, 'src/runtime/main.ts') });
await client.loadModel({ id: 'bench', path: modelPath });
await client.createSession({ id: 'bench', modelId: 'bench', contextSize, threads });

async function viaRuntime(): Promise<Round & { reportedTps: number }> {
  await client.resetSession('bench');
  gc();
  let n = 0;
  const child = client.pid!;
  const c0 = [cpuNs('self'), cpuNs(child)];
  const t0 = performance.now();
  const r = await client.generate({ sessionId: 'bench', prompt, maxTokens: tokens, temperature: 0 }, { onChunk: (c) => (n += c.tokens.length) });
  const wall = (performance.now() - t0) / 1000;
  const c1 = [cpuNs('self'), cpuNs(child)];
  const cpu = c0.every((x) => x !== undefined) && c1.every((x) => x !== undefined) ? (c1[0]! - c0[0]! + c1[1]! - c0[1]!) / 1e9 : undefined;
  return { tps: n / wall, tpcs: cpu ? n / cpu : undefined, reportedTps: r.tokensPerSecond };
}

try {
  await inProcess(); // warm-up both sides
  await viaRuntime();
  const inp: Round[] = [];
  const via: Round[] = [];
  const reported: number[] = [];
  for (let i = 0; i < rounds; i++) {
    inp.push(await inProcess());
    const v = await viaRuntime();
    via.push(v);
    reported.push(v.reportedTps);
  }
  const info = await client.backendInfo();
  const all = (rs: Round[]): string => rs.map((r) => r.tps.toFixed(0)).join(' ');
  const wallIn = median(inp.map((r) => r.tps));
  const wallVia = median(via.map((r) => r.tps));
  console.log(`model: llama n_embd 512, 4 layers, n_ff 1408, F32 (${(fs.statSync(modelPath).size / 2 ** 20).toFixed(0)} MiB); backend ${info.backend}; threads ${threads}; ${tokens} tokens, greedy; ${rounds} rounds interleaved; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores`);
  console.log(`in-process node-llama-cpp : ${wallIn.toFixed(1)} tok/s wall (median; all: ${all(inp)})`);
  console.log(`runtime process (caller)  : ${wallVia.toFixed(1)} tok/s wall (median; all: ${all(via)})`);
  console.log(`runtime process (decode, as the child reports it): ${median(reported).toFixed(1)} tok/s`);
  console.log(`ratio runtime/in-process, wall clock      : ${(wallVia / wallIn).toFixed(3)}   (aim ≥ 0.97; only meaningful on an idle machine)`);
  if (inp.every((r) => r.tpcs) && via.every((r) => r.tpcs)) {
    const cpuIn = median(inp.map((r) => r.tpcs!));
    const cpuVia = median(via.map((r) => r.tpcs!));
    console.log(`tokens per CPU-second: in-process ${cpuIn.toFixed(1)}, runtime (child + caller) ${cpuVia.toFixed(1)}`);
    console.log(`ratio runtime/in-process, per CPU-second  : ${(cpuVia / cpuIn).toFixed(3)}   (the cost of the process boundary, robust to a busy machine)`);
  }
} finally {
  await client.dispose();
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
}
