// The Tune panel's host side on the stub VS Code API, with the real pieces behind it: the job service runs the
// 'tune' kind in-process on the demo model (the job process is tested in tests/integration/jobs), and llama.cpp (the
// in-process runtime) measures held-out accuracy. From the Models view: dataset summary and estimates, Start → a job
// the Jobs view lists, charts from metrics.jsonl, the adapter variant under the model, accuracy before/after,
// Compare on the model with and without the adapter; cancel and resume; bad requests refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activateModelLab } from '../../../src/host/activate/activateModelLab.js';
import type { HostJobRunner } from '../../../src/host/jobs/activateJobs.js';
import { ACCURACY_FILE } from '../../../src/host/tune/TunePanel.js';
import { scoresFromDecision } from '../../../src/host/tune/labelOracle.js';
import { estimateTune } from '../../../src/host/tune/estimateTune.js';
import type { LoadOptions } from '../../../src/host/runtime/ModelRuntime.js';
import type { Disposable } from '../../../src/host/vscodeApi/HostApi.js';
import { tuneJob } from '../../../src/jobs/kinds/tune.js';
import type { JobProgress } from '../../../src/protocol/jobs.js';
import { TUNE_PRESETS, type TuneJobView } from '../../../src/protocol/webviewTune.js';
import { LlamaRuntime } from '../../../src/runtime/core/LlamaRuntime.js';
import { importTrl, PreferenceStore } from '../../../src/workspace/preferences/index.js';
import { syntheticPairs } from '../../integration/tune/syntheticPairs.js';
import { createStubHostApi, waitFor, type FakePanel } from './stubHostApi.js';
import { STUB_CATALOG, StubRuntime } from './stubRuntime.js';

const DEMO = path.resolve('media/models/demo.gguf');

class LlamaBackedRuntime extends StubRuntime {
  constructor(readonly llama: LlamaRuntime) {
    super();
  }
  override async loadModel(p: string, opts: LoadOptions) {
    const r = await super.loadModel(p, opts);
    await this.llama.loadModel({ id: r.handle, path: p });
    return r;
  }
  evalRuntime() {
    return this.llama;
  }
}

/** The job process, in-process: runs the registered 'tune' kind as the job process would. */
class InProcessRunner implements HostJobRunner {
  pid = undefined;
  run(_jobId: string, kind: string, runDir: string, params: unknown, opts: { signal?: AbortSignal; onProgress?: (p: JobProgress) => void }) {
    assert.equal(kind, 'tune');
    const jobId = _jobId;
    return tuneJob.run(params as never, {
      runDir, signal: opts.signal ?? new AbortController().signal, log: () => undefined,
      progress: (p) => opts.onProgress?.({ ...p, jobId }),
    });
  }
  onLog(): Disposable {
    return { dispose: () => undefined };
  }
  dispose() {}
}

let llama: LlamaRuntime;
before(async () => {
  llama = new LlamaRuntime();
  await llama.initialize({ gpu: 'off', threads: 1, logLevel: 'error' });
});
after(async () => {
  await llama?.dispose();
});

async function open(pairs: number) {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-tune-host-'));
  const data = path.join(ws, '.model-lab');
  fs.mkdirSync(data);
  if (pairs > 0) {
    const file = path.join(ws, 'pairs.jsonl');
    fs.writeFileSync(file, syntheticPairs(path.resolve('.'), pairs, 5, { promptChars: 40 }).map((p) => JSON.stringify(p)).join('\n') + '\n');
    await importTrl(await PreferenceStore.openInDataDir(data), file);
  }
  const stub = createStubHostApi({ extensionPath: ws, folders: [ws] });
  const subs: Disposable[] = [];
  const lab = activateModelLab(stub.api, {
    createRuntime: () => new LlamaBackedRuntime(llama), validateModel: async () => undefined, validateAdapter: async () => undefined,
    readInspectSource: async () => { throw new Error('unused'); }, catalog: () => STUB_CATALOG, createJobRunner: () => new InProcessRunner(),
  }, subs);
  await lab.ready;
  await stub.commands.get('modelLab.addModelFile')!(DEMO);
  const demoId = lab.registry!.find(DEMO)!.id;
  await stub.commands.get('modelLab.tuneOnPreferences')!({ type: 'model', model: { id: demoId, name: 'demo', path: DEMO } });
  const panel = stub.panels.find((p) => (p as FakePanel).options?.script === 'tune') as FakePanel;
  assert.ok(panel, 'Tune on Preferences opens the panel');
  panel.send({ kind: 'notification', method: 'webview/ready', params: {} });
  await waitFor(() => panel.notifications('tune/state').length > 0, 'the state');
  let nextId = 1;
  const request = async (method: string, params: unknown) => {
    const id = nextId++;
    panel.send({ kind: 'request', id, method, params });
    await waitFor(() => panel.response(id) !== undefined, method, 60_000);
    return panel.response(id);
  };
  const lastJob = (): TuneJobView | undefined => panel.notifications('tune/job').at(-1);
  return { ws, data, stub, lab, panel, request, demoId, lastJob, dispose: () => { for (const s of subs) s.dispose(); } };
}

test('Tune panel: store pairs → a job in the Jobs view → an adapter under the model, charts, accuracy before/after, Compare', async () => {
  const t = await open(22);
  try {
    const state = t.panel.notifications('tune/state')[0];
    assert.equal(state.model, t.demoId, 'the Models-view node is the model to start with');
    assert.equal(state.job, null);

    const ds = await t.request('tune/dataset', { modelId: t.demoId, pairs: { from: 'store' } });
    assert.ok(ds.ok, JSON.stringify(ds.error));
    assert.deepEqual(ds.result.dataset, { pairs: 22, train: 20, heldOut: 2, label: 'preference store' });
    const quick = ds.result.estimates.quick, thorough = ds.result.estimates.thorough;
    assert.equal(quick.steps, Math.min(TUNE_PRESETS.quick.maxSteps, Math.ceil(20 / 8)));
    assert.equal(quick.tokensPerSecSource, 'assumed', 'no earlier run: a conservative guess');
    assert.ok(thorough.seconds > quick.seconds && thorough.memoryBytes > quick.memoryBytes);
    assert.ok(quick.memoryBytes > fs.statSync(DEMO).size, 'the weights as stored are part of the memory');

    const started = await t.request('tune/start', { modelId: t.demoId, pairs: { from: 'store' }, preset: 'quick', method: 'dpo' });
    assert.ok(started.ok, JSON.stringify(started.error));
    const jobId = started.result.jobId as string;
    assert.ok(t.lab.jobs!.list().some((r) => r.id === jobId && r.kind === 'tune'), 'the Jobs view lists the job');
    await waitFor(() => t.lastJob()?.accuracy?.state === 'done' || t.lastJob()?.accuracy?.state === 'failed', 'training and the held-out accuracy', 300_000);
    const view = t.lastJob()!;
    assert.equal(view.state, 'done');
    assert.equal(view.metrics.length, 3, 'one chart point per step');
    assert.ok(view.metrics.every((m) => Number.isFinite(m.loss) && m.margin !== null && m.accuracy !== null));
    assert.deepEqual(view.accuracy!.state, 'done', view.accuracy!.message);
    assert.equal(view.accuracy!.pairs, 2);
    for (const a of [view.accuracy!.before!, view.accuracy!.after!]) assert.ok(a >= 0 && a <= 1);
    assert.ok(fs.existsSync(path.join(t.lab.jobs!.get(jobId)!.runDir, ACCURACY_FILE)), 'measured once, kept in the run folder');

    // the adapter is a variant under the model it trained on (the Models view lists it there)
    await t.lab.registry!.refresh();
    const adapter = t.lab.registry!.listVariants().find((v) => v.kind === 'adapter');
    assert.ok(adapter, 'the adapter variant is listed');
    assert.equal(adapter.path, view.result!.adapterPath);
    assert.equal(path.resolve(adapter.parent.file), DEMO);

    const cmp = await t.request('tune/compare', { jobId });
    assert.ok(cmp.ok, JSON.stringify(cmp.error));
    const compare = t.stub.panels.find((p) => (p as FakePanel).options?.script === 'compare') as FakePanel;
    assert.ok(compare, 'Compare opens');
    compare.send({ kind: 'notification', method: 'webview/ready', params: {} });
    await waitFor(() => compare.notifications('compare/state').length > 0, 'the Compare state');
    assert.deepEqual(compare.notifications('compare/state').at(-1).columns, [
      { kind: 'model', modelId: t.demoId },
      { kind: 'model', modelId: t.demoId, adapterPath: view.result!.adapterPath, adapterScale: 1 },
    ]);

    // the next estimate uses the tokens/s this run measured
    const again = await t.request('tune/dataset', { modelId: t.demoId, pairs: { from: 'store' } });
    assert.equal(again.result.estimates.quick.tokensPerSecSource, 'measured');
  } finally {
    t.dispose();
  }
});

test('Tune panel: cancel stops the job (resumable), resume finishes it; bad requests and an empty store are refused in one line', async () => {
  const t = await open(0);
  try {
    const empty = await t.request('tune/start', { modelId: t.demoId, pairs: { from: 'store' }, preset: 'quick', method: 'dpo' });
    assert.ok(empty.ok, 'the job starts and fails on its own: the reason shows in the panel');
    await waitFor(() => t.lastJob()?.state === 'failed', 'the failure');
    assert.match(t.lastJob()!.error!, /no pairs yet/);

    const bad = await t.request('tune/start', { modelId: t.demoId, pairs: { from: 'store' }, preset: 'huge', method: 'dpo' });
    assert.equal(bad.error.code, 'INVALID_REQUEST');
    const missing = await t.request('tune/dataset', { modelId: '/nowhere/x.gguf', pairs: { from: 'store' } });
    assert.equal(missing.error.code, 'MODEL_NOT_FOUND');

    const file = path.join(t.ws, 'more.jsonl');
    fs.writeFileSync(file, syntheticPairs(path.resolve('.'), 10, 9, { promptChars: 40 }).map((p) => JSON.stringify(p)).join('\n') + '\n');
    const ds = await t.request('tune/dataset', { modelId: t.demoId, pairs: { from: 'file', path: 'more.jsonl' } });
    assert.deepEqual(ds.result.dataset, { pairs: 10, train: 10, heldOut: 0, label: 'more.jsonl' });
    const started = await t.request('tune/start', { modelId: t.demoId, pairs: { from: 'file', path: 'more.jsonl' }, preset: 'thorough', method: 'ipo' });
    const jobId = started.result.jobId as string;
    await waitFor(() => (t.lastJob()?.step ?? 0) >= 1 && t.lastJob()?.jobId === jobId, 'a first step', 120_000);
    assert.equal((await t.request('tune/cancel', { jobId })).result.cancelled, true);
    await waitFor(() => t.lastJob()?.state === 'cancelled', 'the cancel');
    assert.equal(t.lab.jobs!.get(jobId)!.error?.code, 'ABORTED');

    assert.equal((await t.request('tune/resume', { jobId })).result.resumed, true);
    await waitFor(() => t.lastJob()?.accuracy != null, 'the resumed run', 300_000);
    const view = t.lastJob()!;
    assert.equal(view.state, 'done');
    assert.equal(view.step, view.steps);
    assert.equal(t.lab.jobs!.get(jobId)!.attempts, 2, 'the same job, resumed');
    assert.equal(view.accuracy!.state, 'none', 'no pairs held out under 20');
  } finally {
    t.dispose();
  }
});

test('Tune panel, DNO iterations with "me" as the oracle: samples open in the Label panel, labels drive the iteration, the history marks the best, Compare opens on it and the base', async () => {
  const t = await open(3);
  try {
    // bad requests are refused before anything runs
    const one = await t.request('tune/dnoStart', { modelId: t.demoId, prompts: { from: 'store' }, samples: 1, iterations: 1, oracle: { kind: 'me' } });
    assert.equal(one.error.code, 'INVALID_REQUEST', 'K = 1 makes no pair');
    const who = await t.request('tune/dnoStart', { modelId: t.demoId, prompts: { from: 'store' }, samples: 2, iterations: 1, oracle: { kind: 'crowd' } });
    assert.equal(who.error.code, 'INVALID_REQUEST');
    const judge = await t.request('tune/dnoStart', { modelId: t.demoId, prompts: { from: 'store' }, samples: 2, iterations: 1, oracle: { kind: 'judge', modelId: '/nowhere/j.gguf' } });
    assert.equal(judge.error.code, 'MODEL_NOT_FOUND');

    const started = await t.request('tune/dnoStart', { modelId: t.demoId, prompts: { from: 'store' }, samples: 2, iterations: 1, oracle: { kind: 'me' } });
    assert.ok(started.ok, JSON.stringify(started.error));
    const runDir = started.result.runDir as string;
    const dnoView = () => t.panel.notifications('tune/dno').at(-1);
    // the user: each comparison that appears in the Label panel, the first sample best and the second worst
    let label: FakePanel | undefined;
    let labelled = 0, nextId = 1000;
    const seen = new Set<string>();
    await waitFor(() => {
      label ??= t.stub.panels.find((p) => (p as FakePanel).options?.script === 'label') as FakePanel | undefined;
      if (label && label.notifications('label/state').length === 0 && !seen.has('ready')) {
        seen.add('ready');
        label.send({ kind: 'notification', method: 'webview/ready', params: {} });
      }
      const task = label?.notifications('label/state').at(-1)?.task;
      if (label && task && !seen.has(task.taskId)) {
        seen.add(task.taskId);
        assert.equal(task.candidates.length, 2, 'K samples per prompt, one comparison');
        label.send({ kind: 'request', id: nextId++, method: 'label/save', params: { taskId: task.taskId, decision: { ranking: [['c1'], ['c2']], allBad: false, rationale: '', gold: null } } });
        labelled++;
      }
      return dnoView()?.state !== undefined && dnoView()!.state !== 'running';
    }, 'the DNO run, labelled in the Label panel', 600_000);
    const v = dnoView()!;
    assert.equal(v.state, 'done', v.message ?? '');
    assert.equal(v.runDir, runDir);
    assert.ok(fs.existsSync(path.join(runDir, 'dno.json')), 'the history file');
    // baseline (2 validation samples of each of the 3 prompts), iteration 1's samples, its measurement: one comparison per prompt each
    assert.equal(labelled, 9);
    assert.equal(v.oracle, 'me (Label panel)');
    assert.ok(v.baseline !== null && v.baseline >= 0 && v.baseline <= 1);
    assert.equal(v.rows.length, 1);
    const row = v.rows[0]!;
    assert.deepEqual([row.iteration, row.pairs, row.best], [1, 3, true], 'one pair per prompt; the only iterate is the best');
    assert.ok(fs.existsSync(row.adapterPath) && row.variantId, 'the iterate is an adapter variant');
    // the training ran as a tune job (the Jobs view lists it), from the pairs the labels made
    const job = t.lab.jobs!.list().find((r) => r.kind === 'tune' && r.title.startsWith('DNO'));
    assert.equal(job?.state, 'done');
    // the labels are in the preference store too, as comparisons from DNO
    const store = await PreferenceStore.openInDataDir(t.data);
    const dnoRecords = (await store.read()).records.filter((r) => r.kind === 'comparison' && r.origin === 'dno');
    assert.equal(dnoRecords.length, 9);

    const cmp = await t.request('tune/dnoCompare', { runDir, iteration: 1 });
    assert.ok(cmp.ok, JSON.stringify(cmp.error));
    const compare = t.stub.panels.find((p) => (p as FakePanel).options?.script === 'compare') as FakePanel;
    compare.send({ kind: 'notification', method: 'webview/ready', params: {} });
    await waitFor(() => compare.notifications('compare/state').length > 0, 'the Compare state');
    assert.deepEqual(compare.notifications('compare/state').at(-1).columns, [
      { kind: 'model', modelId: t.demoId },
      { kind: 'model', modelId: t.demoId, adapterPath: row.adapterPath, adapterScale: 1 },
    ], 'iteration 1 against the model before it');
    const none = await t.request('tune/dnoCompare', { runDir, iteration: 2 });
    assert.equal(none.error.code, 'DNO_NO_ITERATE');
  } finally {
    t.dispose();
  }
});

test('DNO oracle "me": a Label decision as scores — best tier 1, unplaced in between, worst 0; all bad or skipped 0', () => {
  const d = (ranking: string[][], allBad = false) => ({ ranking, allBad, rationale: '', gold: null });
  assert.deepEqual(scoresFromDecision(d([['c2'], ['c4']]), 4), [0.5, 1, 0.5, 0]);
  assert.deepEqual(scoresFromDecision(d([['c1', 'c3']]), 3), [1, 0, 1], 'only a best tier: the rest below it');
  assert.deepEqual(scoresFromDecision(d([['c1'], ['c2'], ['c3']]), 3), [1, 0.5, 0], 'three tiers, evenly spaced');
  assert.deepEqual(scoresFromDecision(d([[]], true), 3), [0, 0, 0]);
  assert.deepEqual(scoresFromDecision(null, 2), [0, 0]);
});

test('estimateTune: longer presets cost more; a measured rate replaces the assumed one', () => {
  const facts = { fileBytes: 5e6, nEmbd: 256, nLayer: 4, nFf: 768, nVocab: 8000 };
  const o = { trainPairs: 300, allPairs: 330, tokensPerPair: 60 };
  const q = estimateTune(facts, TUNE_PRESETS.quick, o), b = estimateTune(facts, TUNE_PRESETS.balanced, o);
  assert.deepEqual([q.steps, b.steps], [6, 150]);
  assert.ok(b.seconds > q.seconds && b.memoryBytes > q.memoryBytes);
  const measured = estimateTune(facts, TUNE_PRESETS.quick, { ...o, measuredTokensPerSec: 2 * q.tokensPerSec });
  assert.equal(measured.tokensPerSecSource, 'measured');
  assert.ok(Math.abs(measured.seconds - q.seconds / 2) < 1e-9);
});
