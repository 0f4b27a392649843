// The preference store's append cost on this machine: one fsync'ed, locked append per record (the Label panel's
// case) against batched appends (import), and two processes appending at once against one. Prints records/s and
// the ratios measured in this run.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PreferenceStore, type ComparisonEvent } from '../src/workspace/preferences/index.js';

const N = 400;
const record = (i: number): Omit<ComparisonEvent, 'schema' | 'kind' | 'id' | 'createdAt'> => ({
  prompt: { text: `def f${i}(x):\n    ` },
  candidates: [
    { id: 'a', text: `return x + ${i}`.padEnd(300, ' '), model: 'demo', seed: i },
    { id: 'b', text: `return x - ${i}`.padEnd(300, ' '), model: 'demo', seed: i + 1 },
  ],
  ranking: [['a'], ['b']],
});

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-prefs-bench-'));
try {
  const single = await PreferenceStore.open(path.join(dir, 'single.jsonl'));
  let t = performance.now();
  for (let i = 0; i < N; i++) await single.addComparison(record(i));
  const singleRate = N / ((performance.now() - t) / 1000);

  const batched = await PreferenceStore.open(path.join(dir, 'batched.jsonl'));
  t = performance.now();
  for (let i = 0; i < N; i += 100) await batched.append(Array.from({ length: 100 }, (_, k) => PreferenceStore.stamp<ComparisonEvent>({ kind: 'comparison', ...record(i + k) })));
  const batchRate = N / ((performance.now() - t) / 1000);

  t = performance.now();
  const snap = await single.read();
  const readMs = performance.now() - t;

  // Two writer processes on one file (the lock serializes them), started together.
  const child = path.join(import.meta.dirname, '..', 'tests', 'integration', 'preferences', 'storeWriterChild.ts');
  const shared = path.join(dir, 'shared.jsonl');
  await PreferenceStore.open(shared);
  const run = (w: string) => new Promise<number>((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, shared, w, String(N)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let first = 0;
    p.stdout.once('data', () => (first = performance.now()));
    p.on('exit', () => resolve((performance.now() - first) / 1000));
  });
  const [sa, sb] = await Promise.all([run('a'), run('b')]);
  const twoRate = (2 * N) / Math.max(sa, sb);

  console.log(`${N} records of ~0.7 KB, ${os.cpus().length} CPUs, ${os.tmpdir()}`);
  console.log(`one locked, fsync'ed append per record : ${singleRate.toFixed(0).padStart(7)} records/s`);
  console.log(`batches of 100 (import)                : ${batchRate.toFixed(0).padStart(7)} records/s   (${(batchRate / singleRate).toFixed(1)}× single)`);
  console.log(`two processes on one file, together    : ${twoRate.toFixed(0).padStart(7)} records/s   (${(twoRate / singleRate).toFixed(2)}× one process)`);
  console.log(`read + validate + fold ${snap.events} events   : ${readMs.toFixed(1).padStart(7)} ms`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
