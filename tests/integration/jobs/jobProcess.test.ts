// The job process runs engine training in a child: progress arrives, cancelling saves a checkpoint, a killed
// process rejects its job, and starting the job again resumes to the same result as an uninterrupted run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JobClient, JobCrashedError } from '../../../src/jobs/client/JobClient.js';
import { loadCheckpoint } from '../../../src/engine/train/index.js';
import type { JobProgress, TrainJobConfig, TrainJobParams } from '../../../src/protocol/jobs.js';

const entry = path.resolve('src/jobs/main.ts');

function setup(): { dir: string; params: (runDir: string, over?: Partial<TrainJobConfig>) => TrainJobParams } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  const tokens = new Int32Array(6000);
  let prev = 3;
  for (let i = 0; i < tokens.length; i++) tokens[i] = prev = 3 + (((prev - 3) * 7 + 5 + (i % 13 === 0 ? i : 0)) % 29);
  fs.writeFileSync(path.join(dir, 'train.bin'), new Uint8Array(tokens.buffer));
  fs.writeFileSync(path.join(dir, 'heldout.bin'), new Uint8Array(tokens.slice(0, 800).buffer));
  const config: TrainJobConfig = {
    model: { nVocab: 32, nEmbd: 16, nLayer: 1, nHead: 2, nFf: 32, contextLength: 32, seed: 5 },
    seqLen: 17, batchSize: 4, steps: 40, lr: 1e-2, minLr: 1e-3, warmupSteps: 4, weightDecay: 0.01,
    beta1: 0.9, beta2: 0.99, gradClip: 1, seed: 2, checkpointEvery: 5, evalEvery: 10, evalWindows: 4,
  };
  return {
    dir,
    params: (runDir, over = {}) => ({
      jobId: `job-${path.basename(runDir)}`, runDir, config: { ...config, ...over }, bosId: 1, backend: 'reference',
      trainTokensPath: path.join(dir, 'train.bin'), heldOutTokensPath: path.join(dir, 'heldout.bin'),
    }),
  };
}

test('a training job reports progress, writes its GGUF, and resumes after cancel and after a crash', async () => {
  const { dir, params } = setup();
  const client = new JobClient({ entry });
  try {
    // Uninterrupted run, with the model saved as GGUF.
    const seen: JobProgress[] = [];
    const out = path.join(dir, 'model.gguf');
    const full = await client.train({ ...params(path.join(dir, 'a')), outputPath: out }, { onProgress: (p) => seen.push(p) });
    assert.equal(full.steps, 40);
    assert.deepEqual(seen.map((p) => p.step), Array.from({ length: 40 }, (_, i) => i + 1));
    assert.ok(seen.every((p) => p.jobId === 'job-a' && p.steps === 40));
    assert.ok(full.finalLoss < seen[0]!.loss);
    assert.equal(fs.readFileSync(out).subarray(0, 4).toString(), 'GGUF');

    // Cancelled at step 12: the job saves step 12 and rejects with a cancellation.
    const b = path.join(dir, 'b');
    const ac = new AbortController();
    await assert.rejects(client.train(params(b), { signal: ac.signal, onProgress: (p) => { if (p.step === 12) ac.abort(); } }), { code: 'ABORTED' });
    const savedAt = loadCheckpoint(path.join(b, 'checkpoint.bin'))!.meta.step;
    assert.ok(savedAt >= 12 && savedAt < 40, `saved at ${savedAt}`);

    // Killed while running: the pending job rejects with JobCrashedError.
    const killedAt = await assert.rejects(
      client.train(params(b), { onProgress: (p) => { if (p.step === savedAt + 8) process.kill(client.pid!, 'SIGKILL'); } }),
      (err: unknown) => err instanceof JobCrashedError,
    );
    void killedAt;
    // Starting it again resumes from the last checkpoint and ends exactly where the uninterrupted run did.
    const resumed = await client.train(params(b));
    assert.ok(resumed.resumedFrom > savedAt, `resumed from ${resumed.resumedFrom}`);
    assert.equal(resumed.steps, 40);
    assert.equal(resumed.finalLoss, full.finalLoss);
    assert.equal(resumed.heldOutLoss, full.heldOutLoss);

    // Errors keep their code across the process boundary.
    await assert.rejects(client.train(params(path.join(dir, 'c'), { seqLen: 99 })), { code: 'TRAIN_CONFIG' });
  } finally {
    client.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
