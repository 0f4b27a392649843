// The 'prune' job kind as the job process runs it: the pruned model becomes a variant of its parent in the data
// folder, progress reaches 1, and a cancelled learned-score run resumes into the same variant.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { readGguf } from '../../../src/engine/gguf/index.js';
import { writeTestModel } from '../../../src/engine/synth/index.js';
import type { JobContext } from '../../../src/jobs/kinds/JobKind.js';
import { pruneJob } from '../../../src/jobs/kinds/prune.js';
import type { JobProgress } from '../../../src/protocol/jobs.js';
import { listVariants } from '../../../src/workspace/index.js';

let dir = '';
let model = '';
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-prune-job-'));
  model = path.join(dir, 'base.gguf');
  await writeTestModel(model, { arch: 'llama', weightType: 'F16', nEmbd: 64, nFf: 128, nLayer: 2, seed: 4 });
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function context(runDir: string, signal = new AbortController().signal): JobContext & { progressSeen: Omit<JobProgress, 'jobId'>[]; lines: string[] } {
  const progressSeen: Omit<JobProgress, 'jobId'>[] = [], lines: string[] = [];
  return { runDir, signal, progress: (p) => progressSeen.push(p), log: (l) => lines.push(l), progressSeen, lines };
}

test('prune job: the result is a registered variant of the base model, with progress to 1', async () => {
  const data = path.join(dir, 'data1');
  const ctx = context(path.join(data, 'runs', 'r1'));
  const r = await pruneJob.run({ model, method: 'activation', sparsity: 0.5, dataDirectory: data, backend: 'reference' }, ctx);
  const { variants } = await listVariants(data);
  assert.equal(variants.length, 1);
  assert.equal(variants[0].id, r.variantId);
  assert.equal(path.resolve(variants[0].parent.file), path.resolve(model));
  assert.equal(variants[0].path, r.outputPath);
  assert.deepEqual((await readGguf(r.outputPath)).metadata['llama.feed_forward_length'], 64);
  assert.equal(ctx.progressSeen.at(-1)?.fraction, 1);
  assert.ok(ctx.progressSeen.some((p) => p.phase.startsWith('scoring')));
});

test('prune job: a cancelled movement run keeps its reservation and resumes into the same variant', async () => {
  const data = path.join(dir, 'data2');
  const runDir = path.join(data, 'runs', 'r2');
  const params = { model, method: 'movement' as const, sparsity: 0.5, steps: 12, dataDirectory: data, backend: 'reference' as const };
  const ac = new AbortController();
  const first = context(runDir, ac.signal);
  first.progress = (p) => { if (p.fraction > 0.3) ac.abort(); };
  await assert.rejects(pruneJob.run(params, first), (e: Error & { code?: string }) => e.code === 'ABORTED');
  const pending = (await listVariants(data)).pending;
  assert.equal(pending.length, 1, 'the reservation stays for the resume');
  const r = await pruneJob.run(params, context(runDir));
  assert.equal(r.variantId, pending[0].id);
  const { variants } = await listVariants(data);
  assert.deepEqual(variants.map((v) => v.id), [r.variantId]);
});
