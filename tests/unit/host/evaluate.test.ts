// The Evaluate panel's host side on the stub VS Code API, with llama.cpp itself (the in-process runtime, on the
// built-in demo model) as the evaluation runtime: the panel's figures against the runtime's own, the run folder it
// writes, the report it opens, past runs grouped per model with lineage, rerun, cancel, and bad requests refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activateModelLab } from '../../../src/host/activate/activateModelLab.js';
import { groupRuns, type StoredRun } from '../../../src/host/evaluate/evalHistory.js';
import type { LoadOptions } from '../../../src/host/runtime/ModelRuntime.js';
import type { Disposable } from '../../../src/host/vscodeApi/HostApi.js';
import { LlamaRuntime } from '../../../src/runtime/core/LlamaRuntime.js';
import type { Variant } from '../../../src/workspace/index.js';
import { PreferenceStore } from '../../../src/workspace/preferences/index.js';
import { createStubHostApi, waitFor, type FakePanel } from './stubHostApi.js';
import { STUB_CATALOG, StubRuntime } from './stubRuntime.js';

const DEMO = path.resolve('media/models/demo.gguf');
const TS_A = 'interface Point {\n  x: number;\n  y: number;\n}\n';
const TS_B = 'export const add = (a: number, b: number): number => a + b;\n';

/** The host's runtime seam with llama.cpp behind it: loads go to the in-process runtime under the stub's handles. */
class LlamaBackedRuntime extends StubRuntime {
  constructor(readonly llama: LlamaRuntime) {
    super();
  }
  override async loadModel(p: string, opts: LoadOptions) {
    const r = await super.loadModel(p, opts);
    const info = await this.llama.loadModel({ id: r.handle, path: p });
    return { ...r, chatTemplate: info.chatTemplate };
  }
  evalRuntime() {
    return this.llama;
  }
}

let llama: LlamaRuntime;
before(async () => {
  llama = new LlamaRuntime();
  await llama.initialize({ gpu: 'off', threads: 1, logLevel: 'error' });
});
after(async () => {
  await llama?.dispose();
});

async function open(selection?: string) {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-eval-'));
  fs.mkdirSync(path.join(ws, 'src'));
  fs.writeFileSync(path.join(ws, 'src', 'a.ts'), TS_A);
  fs.writeFileSync(path.join(ws, 'src', 'b.ts'), TS_B);
  const stub = createStubHostApi({ extensionPath: ws, folders: [ws] });
  if (selection !== undefined) {
    stub.api.window.activeSelection = () => ({ text: selection, languageId: 'typescript', filePath: path.join(ws, 'src', 'a.ts') });
  }
  const rt = new LlamaBackedRuntime(llama);
  const subs: Disposable[] = [];
  const lab = activateModelLab(stub.api, {
    createRuntime: () => rt, validateModel: async () => undefined, validateAdapter: async () => undefined,
    readInspectSource: async () => { throw new Error('unused'); }, catalog: () => STUB_CATALOG,
  }, subs);
  await lab.ready;
  await stub.commands.get('modelLab.addModelFile')!(DEMO);
  await stub.commands.get('modelLab.evaluate')!(selection === undefined ? { type: 'model', model: { id: DEMO, name: 'demo', path: DEMO } } : undefined);
  const panel = stub.panels.find((p) => (p as FakePanel).options?.script === 'evaluate') as FakePanel;
  assert.ok(panel, 'the Evaluate command opens the panel');
  panel.send({ kind: 'notification', method: 'webview/ready', params: {} });
  await waitFor(() => panel.notifications('evaluate/state').length > 0, 'the state');
  let nextId = 1;
  const request = async (method: string, params: unknown) => {
    const id = nextId++;
    panel.send({ kind: 'request', id, method, params });
    await waitFor(() => panel.response(id) !== undefined, method, 60_000);
    return panel.response(id);
  };
  const finished = async (runId: string) => {
    await waitFor(() => [...panel.notifications('evaluate/done'), ...panel.notifications('evaluate/failed')].some((m: any) => m.runId === runId), 'the run', 120_000);
    return {
      done: panel.notifications('evaluate/done').find((m: any) => m.runId === runId),
      failed: panel.notifications('evaluate/failed').find((m: any) => m.runId === runId),
    };
  };
  const evalsDir = path.join(ws, '.model-lab', 'evals');
  const cleanup = () => {
    for (const s of subs) s.dispose();
    fs.rmSync(ws, { recursive: true, force: true });
  };
  return { ws, stub, rt, panel, request, finished, evalsDir, cleanup };
}

test('perplexity on a glob: the figures are llama.cpp\'s, the run folder has the report, it opens, and a rerun repeats it', async () => {
  const { panel, request, finished, evalsDir, stub, cleanup } = await open();
  try {
    const [state] = panel.notifications('evaluate/state');
    assert.deepEqual(state.target, { modelId: DEMO }, 'opened on the model it was invoked on');
    assert.deepEqual(state.history, []);
    const target = { modelId: DEMO };
    const r = await request('evaluate/run', { kind: 'perplexity', target, input: { from: 'glob', pattern: 'src/*.ts' } });
    assert.ok(r.ok, JSON.stringify(r));
    const { done, failed } = await finished(r.result.runId);
    assert.equal(failed, undefined, JSON.stringify(failed));
    assert.ok(panel.notifications('evaluate/progress').some((p: any) => p.runId === r.result.runId && p.total === 2), 'progress over the two files');

    // the same numbers as the runtime's own perplexity of each file (what `model-lab ppl` prints)
    await llama.loadModel({ id: 'direct', path: DEMO });
    const a = await llama.perplexity({ modelId: 'direct', text: TS_A });
    const b = await llama.perplexity({ modelId: 'direct', text: TS_B });
    const dir = path.join(evalsDir, done.run.id);
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'result.json'), 'utf8'));
    assert.equal(report.kind, 'perplexity');
    assert.deepEqual(report.result.files.map((f: any) => [path.basename(f.name), f.ppl, f.tokens]), [['a.ts', a.ppl, a.tokens], ['b.ts', b.ppl, b.tokens]]);
    assert.ok(Math.abs(report.result.ppl - Math.exp((a.nll + b.nll) / (a.tokens + b.tokens))) < 1e-9 * report.result.ppl);
    assert.equal(report.model.file, DEMO);
    for (const f of ['results.csv', 'report.html', 'request.json']) assert.ok(fs.existsSync(path.join(dir, f)), f);
    assert.match(done.run.headline, /^perplexity \d+\.\d{3} over \d+ tokens \(2 files\)$/);

    // the list of past runs, then the report
    const history = panel.notifications('evaluate/history').at(-1).history;
    assert.equal(history.length, 1);
    assert.deepEqual(history[0].runs.map((x: any) => x.id), [done.run.id]);
    const opened = await request('evaluate/openReport', { id: done.run.id });
    assert.ok(opened.ok);
    assert.equal(stub.htmlShown.length, 1);
    assert.match(stub.htmlShown[0]!.html, /<h1>Perplexity<\/h1>/);

    // rerun: a new folder, the same figures
    const again = await request('evaluate/rerun', { id: done.run.id });
    const second = await finished(again.result.runId);
    assert.notEqual(second.done.run.id, done.run.id);
    assert.equal(second.done.run.figures.ppl, report.result.ppl);
    const groups = panel.notifications('evaluate/history').at(-1).history;
    assert.equal(groups.length, 1, 'both runs of the same model in one group');
    assert.equal(groups[0].runs.length, 2);
  } finally {
    cleanup();
  }
});

test('opened from an editor selection, perplexity runs on the selected text; preference accuracy reads the store\'s pairs', async () => {
  const { panel, request, finished, evalsDir, ws, cleanup } = await open(TS_A);
  try {
    const [state] = panel.notifications('evaluate/state');
    assert.deepEqual(state.selection, { name: 'selection in a.ts', text: TS_A });
    const r = await request('evaluate/run', { kind: 'perplexity', target: { modelId: DEMO }, input: { from: 'text', ...state.selection } });
    const { done } = await finished(r.result.runId);
    await llama.loadModel({ id: 'direct2', path: DEMO });
    assert.equal(done.run.figures.ppl, (await llama.perplexity({ modelId: 'direct2', text: TS_A })).ppl);

    // an empty store is a one-line error, and leaves no run folder behind
    const empty = await request('evaluate/run', { kind: 'preference-accuracy', target: { modelId: DEMO }, pairs: { from: 'store' } });
    const failed = (await finished(empty.result.runId)).failed;
    assert.equal(failed.code, 'NO_PAIRS');
    assert.equal(fs.readdirSync(evalsDir).length, 1, 'only the finished run is kept');

    const store = await PreferenceStore.open(path.join(ws, '.model-lab', 'preferences.jsonl'));
    const sampling = { temperature: 0, topP: 1, topK: 1, maxTokens: 8 };
    await store.addComparison({
      prompt: { text: 'interface Point {' },
      candidates: [{ id: 'c1', text: '\n  x: number;\n}', model: 'demo', sampling, shownAt: 0 }, { id: 'c2', text: ' banana banana', model: 'demo', sampling, shownAt: 1 }],
      ranking: [['c1'], ['c2']], blind: true, origin: 'compare',
    } as any);
    const acc = await request('evaluate/run', { kind: 'preference-accuracy', target: { modelId: DEMO }, pairs: { from: 'store' } });
    const ok = await finished(acc.result.runId);
    assert.equal(ok.failed, undefined, JSON.stringify(ok.failed));
    assert.equal(ok.done.run.figures.pairs, 1);
    const dir = path.join(evalsDir, ok.done.run.id);
    const report = JSON.parse(fs.readFileSync(path.join(dir, 'result.json'), 'utf8'));
    assert.equal(report.pairsFile, path.join(dir, 'pairs.jsonl'), 'the exported pairs are kept with the run');
    assert.deepEqual(JSON.parse(fs.readFileSync(report.pairsFile, 'utf8').trim()), { prompt: 'interface Point {', chosen: '\n  x: number;\n}', rejected: ' banana banana' });
    // the margin is llama.cpp's log p(chosen) − log p(rejected)
    const lp = async (text: string) => {
      const p = llama.tokenize({ modelId: 'direct2', text: 'interface Point {', addBos: true }).tokens;
      const x = await llama.logprobs({ modelId: 'direct2', text: `interface Point {${text}` });
      let k = 0;
      while (k < p.length && x.tokens[k] === p[k]) k++;
      return x.logprobs.slice(Math.max(1, k)).reduce<number>((s, v) => s + (v ?? 0), 0);
    };
    const margin = (await lp('\n  x: number;\n}')) - (await lp(' banana banana'));
    assert.ok(Math.abs(report.result.margins[0] - margin) < 1e-3, `${report.result.margins[0]} vs ${margin}`);
    assert.equal(report.result.accuracy, margin > 0 ? 1 : 0);
  } finally {
    cleanup();
  }
});

test('win-rate: answers from both models, each pair judged in both orders by the local judge, in the report and its CSV', async () => {
  const { request, finished, evalsDir, ws, cleanup } = await open();
  try {
    fs.writeFileSync(path.join(ws, 'prompts.txt'), 'interface Point {\nfunction add(a, b) {\n');
    const r = await request('evaluate/run', {
      kind: 'win-rate', target: { modelId: DEMO }, against: { modelId: DEMO }, judge: { modelId: DEMO }, promptsFile: 'prompts.txt', maxTokens: 4,
    });
    const { done, failed } = await finished(r.result.runId);
    assert.equal(failed, undefined, JSON.stringify(failed));
    const report = JSON.parse(fs.readFileSync(path.join(evalsDir, done.run.id, 'result.json'), 'utf8'));
    assert.equal(report.kind, 'win-rate');
    assert.equal(report.promptsFile, path.join(ws, 'prompts.txt'));
    assert.equal(report.judge.file, DEMO);
    assert.equal(report.result.n, 2);
    for (const item of report.result.items) {
      assert.deepEqual(item.orders.map((o: any) => o.first), ['a', 'b'], 'A first, then B first');
      // the same model at temperature 0 gives the same answer twice: a verdict can only follow the position
      assert.equal(item.a.text, item.b.text);
      assert.equal(item.verdict, item.orders[0].prefers === item.orders[1].prefers ? item.orders[0].prefers : 'tie');
    }
    assert.equal(report.result.wins + report.result.ties + report.result.losses, 2);
    const csv = fs.readFileSync(path.join(evalsDir, done.run.id, 'results.csv'), 'utf8');
    assert.match(csv.split('\n')[0]!, /firstA_prefers.*firstB_prefers/);
  } finally {
    cleanup();
  }
});

test('cancel stops a run and leaves no folder; one run at a time; a malformed request is refused', async () => {
  const { request, finished, evalsDir, ws, cleanup } = await open();
  try {
    fs.writeFileSync(path.join(ws, 'big.txt'), TS_A.repeat(200));
    const r = await request('evaluate/run', { kind: 'perplexity', target: { modelId: DEMO }, input: { from: 'glob', pattern: 'big.txt' } });
    const busy = await request('evaluate/run', { kind: 'perplexity', target: { modelId: DEMO }, input: { from: 'glob', pattern: 'big.txt' } });
    assert.equal(busy.error?.code, 'EVAL_BUSY');
    const c = await request('evaluate/cancel', { runId: r.result.runId });
    assert.deepEqual(c.result, { cancelled: true });
    const { failed } = await finished(r.result.runId);
    assert.equal(failed?.cancelled, true);
    assert.deepEqual(fs.existsSync(evalsDir) ? fs.readdirSync(evalsDir) : [], []);

    const bad = await request('evaluate/run', { kind: 'perplexity', target: { modelId: DEMO }, input: { from: 'url', pattern: 'x' } });
    assert.equal(bad.error?.code, 'INVALID_REQUEST');
    const gone = await request('evaluate/run', { kind: 'perplexity', target: { modelId: '/nowhere/x.gguf' }, input: { from: 'glob', pattern: 'big.txt' } });
    const f = await finished(gone.result.runId);
    assert.equal(f.failed.code, 'MODEL_NOT_FOUND');
  } finally {
    cleanup();
  }
});

test('past runs group per model, adapter and scale, newest first, with the variant lineage', () => {
  const variant = (id: string, kind: 'model' | 'adapter', parent: { file: string; variant: string | null }): Variant => ({
    schema: 1, id, kind, file: kind === 'model' ? 'model.gguf' : 'adapter.gguf', bytes: 1, parent: { ...parent, sha256: 'x' }, method: 'm',
    parameters: {}, dataHash: null, metrics: {}, created: '2026-01-01T00:00:00Z', toolVersion: '0', dir: `/d/variants/${id}`, path: `/d/variants/${id}/${kind === 'model' ? 'model' : 'adapter'}.gguf`,
  } as Variant);
  const variants = [variant('pruned-1', 'model', { file: '/m/base.gguf', variant: null }), variant('dpo-1', 'adapter', { file: '/d/variants/pruned-1/model.gguf', variant: 'pruned-1' })];
  const run = (id: string, created: string, file: string, lora?: { file: string; scale: number }): StoredRun => ({
    dir: `/d/evals/${id}`, spec: null,
    report: { schemaVersion: 1, id, created, seconds: 1, model: { label: path.basename(file), file, ...(lora ? { lora } : {}) }, kind: 'perplexity', inputs: ['x'], result: { ppl: 2, tokens: 3, nll: 1, files: [] } },
  });
  const groups = groupRuns([
    run('e1', '2026-01-01T00:00:01Z', '/m/base.gguf'),
    run('e2', '2026-01-01T00:00:02Z', '/d/variants/pruned-1/model.gguf'),
    run('e3', '2026-01-01T00:00:03Z', '/d/variants/pruned-1/model.gguf', { file: '/d/variants/dpo-1/adapter.gguf', scale: 0.5 }),
    run('e4', '2026-01-01T00:00:04Z', '/m/base.gguf'),
  ], variants, (f) => (f === '/m/base.gguf' ? 'Base' : undefined));
  assert.deepEqual(groups.map((g) => [g.label, g.lineage, g.runs.map((r) => r.id)]), [
    ['Base', [], ['e4', 'e1']],
    ['model.gguf + dpo-1 × 0.5', ['dpo-1', 'pruned-1', 'base.gguf'], ['e3']],
    ['model.gguf', ['pruned-1', 'base.gguf'], ['e2']],
  ]);
  assert.equal(groups[0]!.runs[0]!.rerunnable, false, 'a CLI run with a relative input cannot be named again');
});
