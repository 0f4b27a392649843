// The Prune panel's host side on the stub VS Code API, with the real pieces behind it: the job service runs the
// 'prune' kind in-process on the demo model (the job process is tested in tests/integration/jobs), the registry
// watches the data folder's variants. From the Models view: the prediction from the header, Prune → a job the Jobs
// view lists, the variant under its parent with the predicted widths, Compare on base and variant; the editor
// selection as calibration text; cancel; bad requests refused in one line; the job's neuron scores as histograms
// (the prune's, and Score model's with the similarity heat maps, no variant written).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activateModelLab } from '../../../src/host/activate/activateModelLab.js';
import type { HostJobRunner } from '../../../src/host/jobs/activateJobs.js';
import type { Disposable } from '../../../src/host/vscodeApi/HostApi.js';
import { readGguf } from '../../../src/engine/gguf/index.js';
import { PRUNE_METHODS } from '../../../src/engine/prune/index.js';
import { pruneJob, type PruneJobParams } from '../../../src/jobs/kinds/prune.js';
import { scoreJob, type ScoreJobParams } from '../../../src/jobs/kinds/score.js';
import type { JobProgress } from '../../../src/protocol/jobs.js';
import { PRUNE_PANEL_METHODS, pruneCutScore, type PruneJobView, type PrunePrediction, type PruneScoresView } from '../../../src/protocol/webviewPrune.js';
import { createStubHostApi, waitFor, type FakePanel } from './stubHostApi.js';
import { STUB_CATALOG, StubRuntime } from './stubRuntime.js';

const DEMO = path.resolve('media/models/demo.gguf');

/** The job process, in-process: runs the registered 'prune' and 'score' kinds as the job process would. */
class InProcessRunner implements HostJobRunner {
  pid = undefined;
  readonly params: PruneJobParams[] = [];
  run(jobId: string, kind: string, runDir: string, params: unknown, opts: { signal?: AbortSignal; onProgress?: (p: JobProgress) => void }) {
    assert.ok(kind === 'prune' || kind === 'score', kind);
    this.params.push(params as PruneJobParams);
    const ctx = { runDir, signal: opts.signal ?? new AbortController().signal, log: () => undefined, progress: (p: Omit<JobProgress, 'jobId'>) => opts.onProgress?.({ ...p, jobId }) };
    return kind === 'prune' ? pruneJob.run(params as PruneJobParams, ctx) : scoreJob.run(params as ScoreJobParams, ctx);
  }
  onLog(): Disposable {
    return { dispose: () => undefined };
  }
  dispose() {}
}

async function open() {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-prune-host-'));
  fs.mkdirSync(path.join(ws, '.model-lab'));
  const stub = createStubHostApi({ extensionPath: ws, folders: [ws] });
  const runner = new InProcessRunner();
  const subs: Disposable[] = [];
  const lab = activateModelLab(stub.api, {
    createRuntime: () => new StubRuntime(), validateModel: async () => undefined, validateAdapter: async () => undefined,
    readInspectSource: async () => { throw new Error('unused'); }, catalog: () => STUB_CATALOG, createJobRunner: () => runner,
  }, subs);
  await lab.ready;
  await stub.commands.get('modelLab.addModelFile')!(DEMO);
  const demoId = lab.registry!.find(DEMO)!.id;
  await stub.commands.get('modelLab.pruneModel')!({ type: 'model', model: { id: demoId, name: 'demo', path: DEMO } });
  const panel = stub.panels.find((p) => (p as FakePanel).options?.script === 'prune') as FakePanel;
  assert.ok(panel, 'Prune Model opens the panel');
  panel.send({ kind: 'notification', method: 'webview/ready', params: {} });
  await waitFor(() => panel.notifications('prune/state').length > 0, 'the state');
  let nextId = 1;
  const request = async (method: string, params: unknown) => {
    const id = nextId++;
    panel.send({ kind: 'request', id, method, params });
    await waitFor(() => panel.response(id) !== undefined, method, 120_000);
    return panel.response(id);
  };
  const lastJob = (): PruneJobView | undefined => panel.notifications('prune/job').at(-1);
  const lastScores = (): PruneScoresView | null | undefined => panel.notifications('prune/scores').at(-1);
  return { ws, stub, lab, panel, request, demoId, lastJob, lastScores, runner, dispose: () => { for (const s of subs) s.dispose(); } };
}

test('the panel offers exactly the engine\'s methods', () => {
  assert.deepEqual([...PRUNE_PANEL_METHODS].sort(), [...PRUNE_METHODS].sort());
});

test('Prune panel: prediction from the header → magnitude 50 % uniform job → the variant under the demo model, as predicted; Compare on base and variant', async () => {
  const t = await open();
  try {
    const state = t.panel.notifications('prune/state')[0];
    assert.equal(state.model, t.demoId, 'the Models-view node is the model to start with');
    assert.equal(state.job, null, 'no prune job yet');

    const none = await t.request('prune/predict', { modelId: t.demoId, sparsity: 0 });
    const p0 = none.result as PrunePrediction;
    assert.deepEqual(p0.keptPerLayer, p0.nFfBefore, 'sparsity 0 keeps every neuron');
    assert.equal(p0.paramsAfter, p0.paramsBefore);
    assert.equal(p0.fileBytesBefore, fs.statSync(DEMO).size);

    const pred = await t.request('prune/predict', { modelId: t.demoId, sparsity: 0.5 });
    assert.ok(pred.ok, JSON.stringify(pred.error));
    const p = pred.result as PrunePrediction;
    assert.ok(p.paramsAfter < p.paramsBefore && p.fileBytesAfter < p.fileBytesBefore && p.weightBytesAfter < p.weightBytesBefore);
    assert.ok(p.speedRatio > 1, `pruning predicts faster generation, got ${p.speedRatio}`);
    assert.equal(p.speedRatio, p.weightBytesBefore / p.weightBytesAfter, 'speed ∝ weight bytes');

    const started = await t.request('prune/start', { modelId: t.demoId, method: 'magnitude', sparsity: 0.5, allocation: 'uniform', calibration: { from: 'sample' } });
    assert.ok(started.ok, JSON.stringify(started.error));
    const jobId = started.result.jobId as string;
    assert.ok(t.lab.jobs!.list().some((r) => r.id === jobId && r.kind === 'prune'), 'the Jobs view lists the job');
    assert.equal(t.runner.params[0].calibrationFiles, undefined, 'magnitude reads no calibration text');
    await waitFor(() => t.lastJob()?.state === 'done' || t.lastJob()?.state === 'failed', 'the prune job', 300_000);
    const view = t.lastJob()!;
    assert.equal(view.state, 'done', view.error ?? '');
    assert.equal(view.fraction, 1);
    const r = view.result!;
    assert.equal(r.baseModelId, t.demoId);
    assert.deepEqual(r.perLayerKept, p.keptPerLayer, 'uniform: the kept widths are the predicted ones');
    const written = fs.statSync(r.variantPath).size;
    assert.ok(Math.abs(written - p.fileBytesAfter) / written < 0.01, `predicted ${p.fileBytesAfter} bytes, written ${written}`);
    const g = await readGguf(r.variantPath);
    assert.equal(g.tensors.reduce((s, x) => s + x.elements, 0), p.paramsAfter, 'the predicted parameter count is exact');

    // the scores it pruned by: a histogram per layer whose uniform cut at 50 % is where the job cut
    await waitFor(() => t.lastScores()?.jobId === jobId, 'the neuron scores of the prune');
    const sv = t.lastScores()!;
    assert.deepEqual([sv.source, sv.method, sv.similarity], ['prune', 'magnitude', null], 'magnitude reads no activations: no heat map');
    assert.deepEqual(sv.layers.map((l) => l.width), p.nFfBefore);
    assert.deepEqual(sv.layers.map((l) => l.bins.reduce((a, b) => a + b, 0)), p.nFfBefore, 'every neuron in its histogram');
    const cuts = sv.layers.map((l) => pruneCutScore(sv, l.layer, 0.5, 'uniform'));
    assert.ok(cuts.every((c, l) => c >= sv.layers[l].min && c <= sv.layers[l].max));

    // the variant is under its parent in the Models view (the registry watches variants/)
    await waitFor(() => t.lab.registry!.listVariants().some((v) => v.path === r.variantPath), 'the variant in the Models view', 30_000);
    const v = t.lab.registry!.listVariants().find((x) => x.path === r.variantPath)!;
    assert.equal(path.resolve(v.parent.file), DEMO);
    await waitFor(() => t.panel.notifications('prune/state').at(-1).models.some((m: { id: string }) => m.id === r.variantPath), 'the variant offered in the panel');

    const cmp = await t.request('prune/compare', { jobId });
    assert.ok(cmp.ok, JSON.stringify(cmp.error));
    const compare = t.stub.panels.find((x) => (x as FakePanel).options?.script === 'compare') as FakePanel;
    assert.ok(compare, 'Compare opens');
    compare.send({ kind: 'notification', method: 'webview/ready', params: {} });
    await waitFor(() => compare.notifications('compare/state').length > 0, 'the Compare state');
    assert.deepEqual(compare.notifications('compare/state').at(-1).columns, [
      { kind: 'model', modelId: t.demoId },
      { kind: 'model', modelId: r.variantPath },
    ]);
  } finally {
    t.dispose();
  }
});

test('Prune panel: the editor selection is the calibration text; cancel stops the job; bad requests are refused in one line', async () => {
  const t = await open();
  try {
    const noSel = await t.request('prune/start', { modelId: t.demoId, method: 'activation', sparsity: 0.25, allocation: 'global', calibration: { from: 'selection' } });
    assert.equal(noSel.error.code, 'NO_SELECTION');
    const noFiles = await t.request('prune/start', { modelId: t.demoId, method: 'activation', sparsity: 0.25, allocation: 'global', calibration: { from: 'files', pattern: 'nothing/*.txt' } });
    assert.equal(noFiles.error.code, 'NO_FILES');
    for (const bad of [
      { modelId: t.demoId, method: 'magnitude', sparsity: 0.95, allocation: 'uniform', calibration: { from: 'sample' } },
      { modelId: t.demoId, method: 'lottery', sparsity: 0.5, allocation: 'uniform', calibration: { from: 'sample' } },
      { modelId: t.demoId, method: 'magnitude', sparsity: 0.5, allocation: 'layerwise', calibration: { from: 'sample' } },
    ]) assert.equal((await t.request('prune/start', bad)).error.code, 'INVALID_REQUEST', JSON.stringify(bad));
    assert.equal((await t.request('prune/predict', { modelId: '/nowhere/x.gguf', sparsity: 0.5 })).error.code, 'MODEL_NOT_FOUND');
    assert.equal((await t.request('prune/compare', { jobId: 'nope' })).error.code, 'PRUNE_NOT_DONE');

    const text = 'def add(a, b):\n    return a + b\n'.repeat(40);
    (t.stub.api.window as { activeSelection: () => unknown }).activeSelection = () => ({ text, languageId: 'python', filePath: null });
    const started = await t.request('prune/start', { modelId: t.demoId, method: 'movement', sparsity: 0.25, allocation: 'global', calibration: { from: 'selection' } });
    assert.ok(started.ok, JSON.stringify(started.error));
    const files = t.runner.params[0].calibrationFiles!;
    assert.equal(files.length, 1);
    assert.equal(fs.readFileSync(files[0], 'utf8'), text, 'the job reads the selected text');
    const jobId = started.result.jobId as string;
    assert.equal((await t.request('prune/cancel', { jobId })).result.cancelled, true);
    await waitFor(() => t.lastJob()?.state === 'cancelled', 'the cancel', 60_000);
    assert.equal(t.lastJob()!.result, null);
  } finally {
    t.dispose();
  }
});

test('Prune panel: Score model → a score job, no variant; its histograms and the similarity heat map of each layer', async () => {
  const t = await open();
  try {
    const started = await t.request('prune/score', { modelId: t.demoId, method: 'activation', sparsity: 0.5, allocation: 'global', calibration: { from: 'sample' } });
    assert.ok(started.ok, JSON.stringify(started.error));
    const jobId = started.result.jobId as string;
    assert.ok(t.lab.jobs!.list().some((r) => r.id === jobId && r.kind === 'score'), 'the Jobs view lists the job');
    await waitFor(() => t.lastJob()?.state === 'done' || t.lastJob()?.state === 'failed', 'the score job', 300_000);
    assert.equal(t.lastJob()!.state, 'done', t.lastJob()!.error ?? '');
    assert.equal(t.lastJob()!.result, null, 'no variant');
    await waitFor(() => t.lastScores()?.jobId === jobId, 'the neuron scores');
    const sv = t.lastScores()!;
    assert.equal(sv.source, 'score');
    assert.ok(sv.similarity, 'activation runs the calibration text: heat maps');
    assert.equal(sv.similarity.layers.length, sv.layers.length);
    const m = sv.similarity.layers[0];
    assert.equal(m.cosine.length, m.neurons.length ** 2);
    assert.equal(m.neurons.length, 32);
    // global: one cut for all layers
    const cuts = new Set(sv.layers.map((l) => pruneCutScore(sv, l.layer, 0.3, 'global')));
    assert.equal(cuts.size, 1);
    assert.equal((await t.lab.registry!.listVariants()).length, 0, 'scoring writes no variant');
  } finally {
    t.dispose();
  }
});
