// The host's jobs through the stub HostApi: the palette command queues a job in the workspace's run folder, the
// Jobs view and the status bar follow its progress, cancel reaches the job, log and result open, and a job a closed
// window left running is offered for resume. The job process is a stand-in here (the real one is tested in
// tests/integration/jobs): it runs what it is given until the test settles it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AbortedError } from '../../../src/engine/errors.js';
import { activateModelLab } from '../../../src/host/activate/activateModelLab.js';
import type { HostJobRunner } from '../../../src/host/jobs/activateJobs.js';
import { formatDuration } from '../../../src/host/jobs/formatJob.js';
import type { Disposable, StatusItem, TreeSource } from '../../../src/host/vscodeApi/HostApi.js';
import type { JobProgress, JobRecord } from '../../../src/protocol/jobs.js';
import { createStubHostApi, waitFor } from './stubHostApi.js';
import { STUB_CATALOG, StubRuntime } from './stubRuntime.js';

interface RunCall {
  jobId: string;
  kind: string;
  runDir: string;
  params: any;
  signal?: AbortSignal;
  onProgress?: (p: JobProgress) => void;
  resolve: (r: unknown) => void;
  reject: (e: Error) => void;
}

class FakeJobRunner implements HostJobRunner {
  calls: RunCall[] = [];
  pid = undefined;
  disposed = false;
  run(jobId: string, kind: string, runDir: string, params: unknown, opts: { signal?: AbortSignal; onProgress?: (p: JobProgress) => void } = {}): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const call: RunCall = { jobId, kind, runDir, params, signal: opts.signal, onProgress: opts.onProgress, resolve, reject };
      opts.signal?.addEventListener('abort', () => reject(new AbortedError('Training cancelled; it resumes from the last step.')));
      this.calls.push(call);
    });
  }
  onLog(): Disposable {
    return { dispose: () => undefined };
  }
  dispose() {
    this.disposed = true;
  }
}

function start(folder: string | null) {
  const ext = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-ext-'));
  const stub = createStubHostApi({ extensionPath: ext, folders: folder ? [folder] : [] });
  const runner = new FakeJobRunner();
  const subs: Disposable[] = [];
  const lab = activateModelLab(
    stub.api,
    { createRuntime: () => new StubRuntime(), validateModel: async () => undefined, validateAdapter: async () => undefined, readInspectSource: async () => { throw new Error('unused'); }, catalog: () => STUB_CATALOG, createJobRunner: () => runner },
    subs,
  );
  const tree = stub.trees.find((t) => t.viewId === 'modelLab.jobs')!.source as TreeSource<JobRecord>;
  const nodes = async () => (await tree.getChildren(undefined)).map((n) => tree.toData(n));
  const status = (): StatusItem & { visible: boolean } => stub.statusItems.find((s) => s.command === 'modelLab.jobs.focus')!;
  const run = (id: string, ...args: unknown[]) => stub.commands.get(id)!(...args) as Promise<unknown>;
  return { stub, runner, subs, lab, nodes, status, run, ext };
}

test('palette → queued job in .model-lab/runs; the Jobs view and status bar show progress; cancel stops it', async () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-ws-'));
  const h = start(ws);
  try {
    assert.deepEqual(await h.nodes(), []);
    assert.equal(h.status().visible, false);
    const id = (await h.run('modelLab.trainQuickModel')) as string;
    await waitFor(() => h.runner.calls.length === 1, 'the job to reach the job process');
    const call = h.runner.calls[0]!;
    assert.equal(call.jobId, id);
    assert.equal(call.kind, 'train');
    assert.equal(path.dirname(call.runDir), path.join(ws, '.model-lab', 'runs'));
    assert.deepEqual(call.params.data, { source: 'text', folder: ws, tokenizerModel: path.join(h.ext, 'media', 'models', 'demo.gguf'), maxBytes: 4 << 20 });
    assert.equal(call.params.config.model.nLayer, 4, 'the demo model\'s shape');
    assert.ok(h.stub.shown.some((s) => /training started/.test(s.text)));

    call.onProgress!({ jobId: id, phase: 'training', fraction: 0.45, step: 9, steps: 20, tokensPerSec: 812.4, etaSec: 125, loss: 5.1 });
    const [node] = await h.nodes();
    assert.equal(node!.label, 'Train demo-sized model (quick)');
    assert.equal(node!.description, 'training 45% · step 9/20 · 812 tok/s · ETA 2m 05s');
    assert.equal(node!.contextValue, 'job.running');
    assert.equal(node!.icon, 'sync~spin');
    assert.equal(h.status().visible, true);
    assert.match(h.status().text, /^\$\(sync~spin\) Train demo-sized model \(quick\) · training 45%/);

    // from the palette, with one running job there is nothing to pick
    await h.run('modelLab.cancelJob');
    assert.equal(call.signal!.aborted, true);
    await h.lab.jobs!.whenSettled(id);
    const [after] = await h.nodes();
    assert.equal(after!.contextValue, 'job.cancelled');
    assert.equal(after!.description, 'cancelled');
    assert.equal(h.status().visible, false);
    await h.lab.jobs!.flush();
    assert.equal(JSON.parse(fs.readFileSync(path.join(call.runDir, 'job.json'), 'utf8')).state, 'cancelled');

    await h.run('modelLab.openJobLog', h.lab.jobs!.get(id));
    assert.deepEqual(h.stub.opened, [path.join(call.runDir, 'job.log')]);
    assert.match(fs.readFileSync(path.join(call.runDir, 'job.log'), 'utf8'), /cancel requested[\s\S]*cancelled: ABORTED/);

    // resume from the view's node: the same run folder goes back to the job process; done opens its result
    await h.run('modelLab.resumeJob', h.lab.jobs!.get(id));
    await waitFor(() => h.runner.calls.length === 2, 'the resumed job');
    assert.equal(h.runner.calls[1]!.runDir, call.runDir);
    h.runner.calls[1]!.resolve({ outputPath: path.join(call.runDir, 'model.gguf') });
    await h.lab.jobs!.whenSettled(id);
    assert.equal((await h.nodes())[0]!.contextValue, 'job.done');
    assert.ok(h.stub.shown.some((m) => m.level === 'info' && m.text === 'Model Lab: Train demo-sized model (quick) finished.'));
    await h.run('modelLab.openJobResult', id);
    assert.equal(h.stub.opened.at(-1), path.join(call.runDir, 'model.gguf'));
  } finally {
    for (const s of h.subs) s.dispose();
    assert.equal(h.runner.disposed, true);
    fs.rmSync(ws, { recursive: true, force: true });
  }
});

test('a job left running when the window closed is crashed at the next start and offered for resume', async () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-ws-'));
  const runDir = path.join(ws, '.model-lab', 'runs', 'train-20261201-100000-abcd');
  fs.mkdirSync(runDir, { recursive: true });
  const left: JobRecord = { id: 'train-20261201-100000-abcd', kind: 'train', title: 'left behind', params: { x: 1 }, state: 'running', runDir, createdAt: '2026-12-01T10:00:00.000Z', startedAt: '2026-12-01T10:00:01.000Z', attempts: 1, pid: 2 ** 30 };
  fs.writeFileSync(path.join(runDir, 'job.json'), JSON.stringify(left));
  const h = start(ws);
  try {
    await waitFor(() => h.stub.shown.some((s) => s.level === 'warning'), 'the resume offer');
    assert.match(h.stub.shown.find((s) => s.level === 'warning')!.text, /a job stopped before the end \(left behind\)\. Resume from the last checkpoint\?/);
    const [node] = await h.nodes();
    assert.equal(node!.contextValue, 'job.crashed');
    assert.equal(node!.description, 'crashed · resume to continue');
    await h.run('modelLab.resumeJob');
    await waitFor(() => h.runner.calls.length === 1, 'the resumed job');
    assert.deepEqual(h.runner.calls[0]!.params, { x: 1 });
    assert.equal(h.runner.calls[0]!.runDir, runDir);
    assert.match(h.stub.shown.at(-1)!.text, /left behind is queued again; it continues from its last checkpoint/);
    // a job that fails says so as a warning (the log says why); it stays resumable
    h.runner.calls[0]!.reject(Object.assign(new Error('No tokens'), { code: 'JOB_TOO_LITTLE_TEXT' }));
    await waitFor(() => h.stub.shown.some((m) => /left behind failed: No tokens/.test(m.text)), 'the failure warning');
    assert.equal((await h.nodes())[0]!.contextValue, 'job.failed');
  } finally {
    for (const s of h.subs) s.dispose();
    fs.rmSync(ws, { recursive: true, force: true });
  }
});

test('without a trusted folder the command says what to do and starts nothing', async () => {
  const h = start(null);
  try {
    await h.run('modelLab.trainQuickModel');
    assert.equal(h.runner.calls.length, 0);
    assert.match(h.stub.shown.at(-1)!.text, /open a trusted folder first/);
    await h.run('modelLab.cancelJob');
    assert.match(h.stub.shown.at(-1)!.text, /there is no job to cancel/);
  } finally {
    for (const s of h.subs) s.dispose();
  }
});

test('durations read like a person would say them', () => {
  assert.deepEqual([0, 45, 60, 125, 3599, 3600, 3780].map(formatDuration), ['0s', '45s', '1m 00s', '2m 05s', '59m 59s', '1h 00m', '1h 03m']);
});
