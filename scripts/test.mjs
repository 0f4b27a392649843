#!/usr/bin/env node
// `npm test`: installs what is missing, builds, type-checks, lints, then runs every test lane.
//   --lane unit|integration|e2e   run one lane only (default: all, in that order)
//   --skip-checks                 skip typecheck and lint (for quick local loops)
// Lanes: tests/unit/** (pure, fast), tests/integration/** (node-llama-cpp, child processes, real files),
// tests/e2e/** (code-server + headless Chromium; its setup is scripts/e2e/setup.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ensureDependencies } from './lib/ensure.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const laneArg = args.includes('--lane') ? args[args.indexOf('--lane') + 1] : undefined;
const lanes = laneArg ? [laneArg] : ['unit', 'integration', 'e2e'];
const started = Date.now();

function run(cmd, cmdArgs, opts = {}) {
  const t = Date.now();
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', ...opts });
  const secs = ((Date.now() - t) / 1000).toFixed(1);
  if (r.status !== 0) {
    console.error(`\n✗ ${[cmd, ...cmdArgs].join(' ').slice(0, 200)} failed (exit ${r.status ?? r.signal}) after ${secs}s`);
    process.exit(r.status || 1);
  }
  console.log(`✓ ${path.basename(cmd)} ${cmdArgs.slice(0, 3).join(' ')} (${secs}s)`);
}

function testFiles(dir) {
  const abs = path.join(root, dir);
  if (!existsSync(abs)) return [];
  const out = [];
  for (const name of readdirSync(abs)) {
    const p = path.join(abs, name);
    if (statSync(p).isDirectory()) out.push(...testFiles(path.join(dir, name)));
    else if (name.endsWith('.test.ts')) out.push(path.join(dir, name));
  }
  return out.sort();
}

ensureDependencies(root);
run(process.execPath, ['esbuild.mjs']);
if (!args.includes('--skip-checks') && !laneArg) {
  run(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', 'tsconfig.json']);
  run(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', 'webview/tsconfig.json']);
  run(process.execPath, ['node_modules/eslint/bin/eslint.js', '.']);
}

for (const lane of lanes) {
  if (lane === 'e2e' && existsSync(path.join(root, 'scripts/e2e/setup.mjs'))) {
    run(process.execPath, ['scripts/e2e/setup.mjs']);
  }
  const files = testFiles(path.join('tests', lane));
  if (files.length === 0) { console.log(`(no tests in lane ${lane})`); continue; }
  const concurrency = lane === 'unit' ? '2' : '1';
  // A file whose tests have all ended must not hold the lane: node-llama-cpp's downloader goes on retrying in the
  // background after a download cancelled while it prepares (it takes no signal there), which kept such a file's
  // process alive for good. --test-force-exit ends each file once its tests and after-hooks are done.
  const forceExit = lane === 'unit' ? [] : ['--test-force-exit'];
  run(process.execPath, ['--import', 'tsx', '--test', ...forceExit, `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], {
    env: { ...process.env, MODEL_LAB_TEST_LANE: lane },
  });
}
console.log(`\nall lanes passed in ${((Date.now() - started) / 1000).toFixed(0)}s`);
