#!/usr/bin/env node
// `npm run bench [name…]`: builds, then runs bench/<name>.bench.ts (all but the real-scale ones by default) one after
// another.
// Each benchmark prints its figures and the ratios it measured side by side in the same run.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { ensureDependencies } from './lib/ensure.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
ensureDependencies(root);
const b = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
if (b.status !== 0) process.exit(1);
// names first, then options for the benchmarks: `npm run bench phi3 -- --dpo-pairs 1 --dpo-tokens 64`
const args = process.argv.slice(2);
const firstOption = args.findIndex((a) => a.startsWith('--'));
const wanted = firstOption < 0 ? args : args.slice(0, firstOption);
const options = firstOption < 0 ? [] : args.slice(firstOption);
// Real-scale benchmarks (a multi-GB model, tens of minutes) run only when named: `npm run bench phi3`.
const onlyWhenNamed = ['phi3.bench.ts'];
const files = readdirSync(path.join(root, 'bench'))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => (wanted.length === 0 ? !onlyWhenNamed.includes(f) : wanted.some((w) => f.startsWith(w))))
  .sort();
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join('bench', f), ...options], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
