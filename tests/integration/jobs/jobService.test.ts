// The job service with the real job process: records on disk, a killed job reported as crashed and resumed to the
// same bytes as an uninterrupted run, a queue that runs one job at a time in order, cancel within one step, and a
// job left running by a closed window offered for resume at the next start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadCheckpoint } from '../../../src/engine/train/index.js';
import { JobClient } from '../../../src/jobs/client/JobClient.js';
import type { TrainJobResult } from '../../../src/jobs/kinds/train.js';
import { JobService } from '../../../src/jobs/service/JobService.js';
import type { JobProgress, JobRecord } from '../../../src/protocol/jobs.js';
import { JOBS_SOURCE_ENTRY, jobFixture, type JobFixture } from './fixtures.js';

function setUp(fx: JobFixture) {
  const client = new JobClient({ entry: JOBS_SOURCE_ENTRY, restart: { initialDelayMs: 20 } });
  const service = new JobService({ runner: client, dataDirectory: () => fx.data });
  client.on('log', (l) => service.processLog(l.message));
  return { client, service };
}

const onDisk = (r: JobRecord): JobRecord => JSON.parse(fs.readFileSync(path.join(r.runDir, 'job.json'), 'utf8'));
const output = (r: JobRecord): Buffer => fs.readFileSync((r.result as TrainJobResult).outputPath);

test('a job killed with SIGKILL is crashed; resumed, it ends with the same model bytes as an uninterrupted run', async () => {
  const fx = jobFixture();
  const { client, service } = setUp(fx);
  try {
    const full = await service.whenSettled((await service.start('train', fx.params(), 'uninterrupted')).id);
    assert.equal(full.state, 'done');
    assert.equal(path.dirname(full.runDir), path.join(fx.data, 'runs'));

    const job = await service.start('train', fx.params(), 'killed');
    let killedAfter = 0;
    const sub = service.onDidChange((r) => {
      if (r?.id === job.id && r.progress?.step === 23 && !killedAfter) {
        killedAfter = 23;
        process.kill(client.pid!, 'SIGKILL');
      }
    });
    const crashed = await service.whenSettled(job.id);
    sub.dispose();
    assert.equal(crashed.state, 'crashed');
    assert.equal(crashed.error?.code, 'JOB_CRASHED');
    assert.match(crashed.error!.message, /signal SIGKILL/);
    await service.flush();
    assert.equal(onDisk(crashed).state, 'crashed');
    const checkpointAt = loadCheckpoint(path.join(job.runDir, 'checkpoint.bin'))!.meta.step;
    assert.ok(checkpointAt >= 20 && checkpointAt < 40, `checkpoint at ${checkpointAt}`);

    service.resume(job.id);
    const resumed = await service.whenSettled(job.id);
    assert.equal(resumed.state, 'done');
    assert.equal(resumed.attempts, 2);
    const result = resumed.result as TrainJobResult;
    assert.equal(result.resumedFrom, checkpointAt);
    assert.equal(result.stepsRun, 40 - checkpointAt);
    assert.ok(output(resumed).equals(output(full)), 'resumed model.gguf differs from the uninterrupted one');
    assert.equal(result.finalLoss, (full.result as TrainJobResult).finalLoss);
    const log = fs.readFileSync(service.logPath(job.id), 'utf8');
    assert.match(log, /crashed: JOB_CRASHED/);
    assert.match(log, /started \(attempt 2\)/);
    await service.flush();
    assert.equal(onDisk(resumed).state, 'done');
  } finally {
    service.dispose();
    await client.dispose();
    fx.cleanup();
  }
});

test('two jobs queue: the second waits while the first runs, then runs; cancel stops a job within one step', async () => {
  const fx = jobFixture();
  const { client, service } = setUp(fx);
  try {
    const order: string[] = [];
    service.onDidChange((r) => {
      if (r?.state === 'running' && r.progress?.step && order.at(-1) !== r.id) order.push(r.id);
    });
    const a = await service.start('train', fx.params({ steps: 12 }), 'first');
    const b = await service.start('train', fx.params({ steps: 12, seed: 3 }), 'second');
    assert.equal(service.get(b.id)!.state, 'queued');
    const [ra, rb] = await Promise.all([service.whenSettled(a.id), service.whenSettled(b.id)]);
    assert.equal(ra.state, 'done');
    assert.equal(rb.state, 'done');
    assert.deepEqual(order, [a.id, b.id]);
    assert.ok(rb.startedAt! >= ra.endedAt!, `second started ${rb.startedAt}, first ended ${ra.endedAt}`);

    // A model whose steps take long enough that the cancel is on its way while the step after the seen one runs.
    const big = fx.params({ steps: 30, seqLen: 64, batchSize: 8, checkpointEvery: 100, evalEvery: 0 }, { nEmbd: 128, nLayer: 2, nHead: 4, nFf: 256, contextLength: 64 });
    const c = await service.start('train', big, 'cancelled');
    const queued = await service.start('train', fx.params(), 'cancelled while queued');
    let cancelledAt = 0;
    const steps: number[] = [];
    service.onDidChange((r) => {
      if (r?.id !== c.id || !r.progress?.step) return;
      const p: JobProgress = r.progress;
      if (steps.at(-1) !== p.step) steps.push(p.step!);
      if (p.step === 3 && !cancelledAt) {
        cancelledAt = 3;
        assert.equal(service.cancel(c.id), true);
      }
    });
    assert.equal(service.cancel(queued.id), true);
    const rq = await service.whenSettled(queued.id);
    assert.equal(rq.state, 'cancelled');
    assert.equal(rq.attempts, 0, 'a job cancelled while queued never ran');
    const rc = await service.whenSettled(c.id);
    assert.equal(rc.state, 'cancelled');
    assert.equal(rc.error?.code, 'ABORTED');
    const saved = loadCheckpoint(path.join(c.runDir, 'checkpoint.bin'))!.meta.step;
    assert.ok(saved >= 3 && saved <= 4, `cancelled at step 3, the job stopped after step ${saved}`);
    assert.ok(Math.max(...steps) <= 4, `steps seen after cancel: ${steps.join(',')}`);
    assert.equal(service.cancel(c.id), false, 'an ended job cannot be cancelled');
  } finally {
    service.dispose();
    await client.dispose();
    fx.cleanup();
  }
});

test('a job left running by a closed window is crashed at the next start and resumes to the end', async () => {
  const fx = jobFixture();
  const first = setUp(fx);
  let id = '';
  try {
    const job = await first.service.start('train', fx.params(), 'left running');
    id = job.id;
    await new Promise<void>((resolve) => {
      first.service.onDidChange((r) => {
        if (r?.id === id && (r.progress?.step ?? 0) >= 12) resolve();
      });
    });
    await first.service.flush();
    // the window closes: the service stops taking work and the job process goes with it
    first.service.dispose();
    await first.client.dispose();
    assert.equal(onDisk(job).state, 'running');

    const second = setUp(fx);
    try {
      const interrupted = await second.service.load();
      assert.deepEqual(interrupted.map((r) => r.id), [id]);
      assert.equal(interrupted[0]!.state, 'crashed');
      assert.equal(interrupted[0]!.error?.code, 'JOB_INTERRUPTED');
      second.service.resume(id);
      const done = await second.service.whenSettled(id);
      assert.equal(done.state, 'done');
      assert.ok((done.result as TrainJobResult).resumedFrom >= 10);
      assert.deepEqual(await second.service.load(), [], 'loading again finds nothing new');
    } finally {
      second.service.dispose();
      await second.client.dispose();
    }
  } finally {
    fx.cleanup();
  }
});
