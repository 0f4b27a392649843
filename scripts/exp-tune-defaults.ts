// The experiment behind the tune defaults (docs/experiments/tune-defaults.md): one `model-lab train` run on the demo
// model with the given flags, on the acceptance test's synthetic pairs (200: 180 trained, 20 held out; the chosen
// answers carry a marker the base almost never writes), then with and without the adapter through llama.cpp: the
// share of 16 sampled completions that start with the marker, and perplexity on held-out lib text. One JSON line per
// run, appended to EXP_OUT (default /tmp/model-lab-tune-exp/results.jsonl).
//   node --import tsx scripts/exp-tune-defaults.ts NAME dpo|ipo|sft PAIRS_SEED [train flags…]
//   (the acceptance test uses pairs seed 1 for DPO, 2 for IPO); env: EXP_THREADS (default 2)
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HELD_OUT_FILES } from '../src/engine/train/demo/demoCorpus.js';
import { LlamaRuntime } from '../src/runtime/core/LlamaRuntime.js';
import { MARKER, syntheticPairs } from '../tests/integration/tune/syntheticPairs.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEMO = path.join(root, 'media/models/demo.gguf');
const out = process.env.EXP_OUT ?? '/tmp/model-lab-tune-exp/results.jsonl';
const dir = path.dirname(out);
const threads = process.env.EXP_THREADS ?? '2';
const [name, method, seedArg, ...flags] = process.argv.slice(2);
if (!name || !method || !seedArg) {
  console.error('usage: exp-tune-defaults.ts NAME dpo|ipo|sft PAIRS_SEED [train flags…]');
  process.exit(2);
}
fs.mkdirSync(dir, { recursive: true });
const pairsFile = path.join(dir, `pairs-${seedArg}.jsonl`);
if (!fs.existsSync(pairsFile)) fs.writeFileSync(pairsFile, syntheticPairs(root, 200, Number(seedArg)).map((p) => JSON.stringify(p)).join('\n') + '\n');
const adapter = path.join(dir, `${name}.gguf`);
fs.rmSync(adapter, { force: true });

const started = Date.now();
const run = await new Promise<{ stdout: string; stderr: string; failed: boolean }>((resolve) => execFile(process.execPath, [
  '--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'train', DEMO, '--pairs', pairsFile, '--out', adapter, '--held-out', '20',
  '--data', path.join(dir, 'data'), '--method', method, ...flags, '--threads', threads, '--json',
], { cwd: root, maxBuffer: 1e8 }, (err, stdout, stderr) => resolve({ stdout, stderr, failed: err !== null })));
if (run.failed) {
  console.error(run.stderr);
  process.exit(1);
}
const trained = JSON.parse(run.stdout) as { steps: number; seconds: number; heldOutAccuracyBefore: number; heldOutAccuracyAfter: number };

const rt = new LlamaRuntime();
await rt.initialize({ gpu: 'off', threads: Number(threads), logLevel: 'error' });
await rt.loadModel({ id: 'm', path: DEMO });
const prompts = syntheticPairs(root, 16, 99).map((p) => p.prompt);
const markerRate = async (lora: boolean): Promise<number> => {
  await rt.createSession({ id: 's', modelId: 'm', contextSize: 256, lora: lora ? [{ path: adapter }] : undefined });
  let hits = 0;
  for (const [i, prompt] of prompts.entries()) {
    await rt.resetSession('s');
    const g = await rt.generate({ sessionId: 's', generationId: `g${i}`, prompt, maxTokens: 6, temperature: 0.7, seed: i + 1 });
    if (g.text.startsWith(MARKER)) hits++;
  }
  await rt.disposeSession('s');
  return hits / prompts.length;
};
const text = fs.readFileSync(path.join(root, 'node_modules/typescript/lib', HELD_OUT_FILES[5]!), 'utf8').slice(0, 6000);
const row = {
  name, method, flags: flags.join(' '), steps: trained.steps, trainSeconds: Math.round(trained.seconds),
  heldOutBefore: trained.heldOutAccuracyBefore, heldOutAfter: trained.heldOutAccuracyAfter,
  markerBase: await markerRate(false), markerTuned: await markerRate(true),
  pplBase: (await rt.perplexity({ modelId: 'm', text })).ppl, pplTuned: (await rt.perplexity({ modelId: 'm', text, lora: [{ path: adapter }] })).ppl,
  seconds: Math.round((Date.now() - started) / 1000),
};
await rt.dispose();
fs.appendFileSync(out, JSON.stringify(row) + '\n');
console.log(JSON.stringify(row));
