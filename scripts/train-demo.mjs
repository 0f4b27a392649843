#!/usr/bin/env node
// `npm run train:demo`: trains the built-in demo model from scratch with our engine and writes
// media/models/demo.gguf + demo.manifest.json. Resumes an interrupted run from its last checkpoint.
//   --recipe NAME   phi3 (default: the shipped demo — Phi-3's layout, chat markers and template, and a chat-shaped
//                   slice of the corpus) or llama (the first demo); src/engine/train/demo/demoRecipe.ts
//   --steps N       fewer steps (a quick trial; the manifest records it)
//   --threads N     kernel threads (default 2; the result is reproducible for a fixed count)
//   --run-dir DIR   run folder (default .model-lab/runs/demo): config.json, metrics.jsonl, checkpoint.bin
//   --out DIR       output folder (default media/models)
//   --fresh         start over instead of resuming
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);

// The engine is TypeScript: run under tsx (its kernel worker threads inherit the loader through execArgv).
if (!process.env.MODEL_LAB_TRAIN_DEMO_CHILD) {
  if (!existsSync(path.join(root, 'src/engine/kernels/wasm/build/kernels.wasm'))) {
    const b = spawnSync(process.execPath, [path.join(root, 'src/engine/kernels/wasm/build.mjs')], { cwd: root, stdio: 'inherit' });
    if (b.status !== 0) process.exit(b.status ?? 1);
  }
  const r = spawnSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, ...args], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, MODEL_LAB_TRAIN_DEMO_CHILD: '1' },
  });
  process.exit(r.status ?? 1);
}

/** The commit the code is at (with '+changes' when the working tree differs), for the manifest; null outside git. */
function gitHead() {
  const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' });
  if (head.status !== 0) return null;
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src/engine', 'scripts/train-demo.mjs'], { cwd: root, encoding: 'utf8' });
  return head.stdout.trim() + (dirty.stdout.trim() ? '+changes' : '');
}

const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
if (!['llama', 'phi3'].includes(opt('--recipe', 'phi3'))) {
  console.error(`train:demo: --recipe is llama or phi3, not '${opt('--recipe')}'`);
  process.exit(1);
}
const { trainDemo } = await import(path.join(root, 'src/engine/train/demo/trainDemo.ts'));
const ac = new globalThis.AbortController();
process.once('SIGINT', () => {
  console.log('\ncancelling: saving a checkpoint; run the same command again to resume');
  ac.abort();
});
const started = Date.now();
try {
  const steps = opt('--steps');
  await trainDemo({
    typescriptDir: path.join(root, 'node_modules/typescript'),
    outDir: path.resolve(root, opt('--out', 'media/models')),
    runDir: path.resolve(root, opt('--run-dir', '.model-lab/runs/demo')),
    threads: Number(opt('--threads', '2')),
    recipe: opt('--recipe', 'phi3'),
    steps: steps ? Number(steps) : undefined,
    fresh: args.includes('--fresh'),
    command: ['npm run train:demo', ...(args.length ? ['--', ...args] : [])].join(' '),
    commit: gitHead(),
    signal: ac.signal,
    log: (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(5)}s] ${line}`),
  });
} catch (err) {
  console.error(`train:demo: ${err?.message ?? err}`);
  process.exit(1);
}
