// The 'tune' job kind as the job process runs it, on the demo model: pairs from the workspace's preference store
// become an adapter variant under the model, with TRL-named metrics, held-out pairs as text for llama.cpp, and a
// cancelled run that resumes into the same variant with the same adapter bytes as an uninterrupted run.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { readGguf } from '../../../src/engine/gguf/index.js';
import type { JobContext } from '../../../src/jobs/kinds/JobKind.js';
import { HELD_OUT_FILE, tuneJob, type TuneJobParams } from '../../../src/jobs/kinds/tune.js';
import type { JobProgress } from '../../../src/protocol/jobs.js';
import { listVariants } from '../../../src/workspace/index.js';
import { importTrl, PreferenceStore } from '../../../src/workspace/preferences/index.js';
import { syntheticPairs } from '../tune/syntheticPairs.js';

const root = path.resolve(import.meta.dirname, '../../..');
const DEMO = path.join(root, 'media/models/demo.gguf');
let dir = '';
let pairsFile = '';

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-tune-job-'));
  pairsFile = path.join(dir, 'pairs.jsonl');
  fs.writeFileSync(pairsFile, syntheticPairs(root, 22, 3, { promptChars: 40 }).map((p) => JSON.stringify(p)).join('\n') + '\n');
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function context(runDir: string, signal = new AbortController().signal): JobContext & { seen: Omit<JobProgress, 'jobId'>[] } {
  const seen: Omit<JobProgress, 'jobId'>[] = [];
  return { runDir, signal, progress: (p) => seen.push(p), log: () => undefined, seen };
}

const params = (data: string, from: TuneJobParams['pairs']): TuneJobParams => ({
  model: DEMO, pairs: from, dataDirectory: data, choices: { method: 'dpo', steps: 4, rank: 4 }, threads: 2,
});

test('tune job: store pairs → an adapter variant under the model, metrics under TRL names, held-out pairs as text', async () => {
  const data = path.join(dir, 'store');
  fs.mkdirSync(data, { recursive: true });
  const store = await PreferenceStore.openInDataDir(data);
  assert.equal((await importTrl(store, pairsFile)).imported, 22);
  const runDir = path.join(data, 'runs', 'r1');
  const ctx = context(runDir);
  const r = await tuneJob.run(params(data, { from: 'store' }), ctx);

  const { variants } = await listVariants(data);
  assert.deepEqual(variants.map((v) => [v.id, v.kind, v.path, path.resolve(v.parent.file)]), [[r.variantId, 'adapter', r.outputPath, DEMO]]);
  assert.equal(variants[0]!.method, 'dpo');
  assert.equal((await readGguf(r.outputPath)).metadata['general.type'], 'adapter');
  assert.deepEqual([r.steps, r.trainPairs, r.heldOutPairs], [4, 20, 2]);
  const heldOut = fs.readFileSync(path.join(runDir, HELD_OUT_FILE), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(heldOut.length, 2);
  assert.ok(heldOut.every((p) => typeof p.prompt === 'string' && p.chosen !== p.rejected));
  const metrics = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  for (const key of ['loss', 'rewards/margins', 'rewards/accuracies', 'tokens/s']) assert.ok(key in metrics.at(-1), `metrics.jsonl has ${key}`);
  assert.equal(ctx.seen.at(-1)?.fraction, 1);
  assert.ok(ctx.seen.some((p) => p.phase === 'training' && p.step !== undefined && p.etaSec !== undefined));
});

test('tune job: cancelled mid-run, resumed in the same folder → the same variant, the same adapter bytes as an uninterrupted run', async () => {
  const data = path.join(dir, 'resume');
  const whole = await tuneJob.run(params(data, { from: 'file', path: pairsFile }), context(path.join(data, 'runs', 'whole')));

  const runDir = path.join(data, 'runs', 'cut');
  const ac = new AbortController();
  const first = context(runDir, ac.signal);
  first.progress = (p) => { if (p.step === 2) ac.abort(); };
  await assert.rejects(tuneJob.run(params(data, { from: 'file', path: pairsFile }), first), (e: Error & { code?: string }) => e.code === 'ABORTED');
  const pending = (await listVariants(data)).pending;
  assert.equal(pending.length, 1, 'the reservation stays for the resume');
  const resumed = await tuneJob.run(params(data, { from: 'file', path: pairsFile }), context(runDir));
  assert.equal(resumed.variantId, pending[0]!.id);
  assert.deepEqual(fs.readFileSync(resumed.outputPath), fs.readFileSync(whole.outputPath));
});
