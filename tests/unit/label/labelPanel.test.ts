// Generate Alternatives and the Label panel's host on the stubbed VS Code API and runtime: K candidates with
// distinct seeds streamed into the panel, raw completion for a model without a chat template and one user turn for
// a model with one, a saved decision as one comparison record in the real store (with provenance and shown
// positions), undo as a delete event that brings the task back with its labels, blind mode, refused decisions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activateModelLab } from '../../../src/host/activate/activateModelLab.js';
import type { Disposable, EditorSelection } from '../../../src/host/vscodeApi/HostApi.js';
import { PreferenceStore, type ComparisonEvent } from '../../../src/workspace/preferences/index.js';
import { createStubHostApi, waitFor, type FakePanel } from '../host/stubHostApi.js';
import { STUB_CATALOG, StubRuntime } from '../host/stubRuntime.js';

const selection: EditorSelection = {
  text: 'return a - b',
  languageId: 'python',
  filePath: '/work/src/calc.py',
  range: { start: { line: 1, character: 4 }, end: { line: 1, character: 16 } },
  before: 'def add(a, b):\n    ',
  after: '\n',
};

async function start(opts: { trusted?: boolean; chatTemplate?: boolean; settings?: Record<string, unknown> } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-label-'));
  const model = path.join(dir, 'tiny.gguf');
  fs.writeFileSync(model, 'GGUF');
  const settings = Object.fromEntries(Object.entries(opts.settings ?? {}).map(([k, v]) => [k, { globalValue: v }]));
  const stub = createStubHostApi({ extensionPath: dir, folders: [dir], trusted: opts.trusted ?? true, settings });
  stub.api.window.activeSelection = () => selection;
  const rt = new StubRuntime();
  rt.chatTemplate = opts.chatTemplate ?? false;
  rt.pieces = ['return', ' a', ' + b'];
  const subs: Disposable[] = [];
  const lab = activateModelLab(stub.api, { createRuntime: () => rt, validateModel: async () => undefined, validateAdapter: async () => undefined, readInspectSource: async () => { throw new Error('unused'); }, catalog: () => STUB_CATALOG }, subs);
  await lab.ready;
  await stub.commands.get('modelLab.addModelFile')!(model);
  const generate = async (): Promise<FakePanel> => {
    await stub.commands.get('modelLab.generateAlternatives')!({ fsPath: '/work/src/calc.py' });
    const panel = stub.panels.find((p) => p.options?.script === 'label') as FakePanel;
    assert.ok(panel, 'the Label panel opened');
    return panel;
  };
  const ready = async (panel: FakePanel) => {
    panel.send({ kind: 'notification', method: 'webview/ready', params: {} });
    await waitFor(() => panel.notifications('label/state').length > 0, 'the state');
  };
  const lastState = (panel: FakePanel) => panel.notifications('label/state').at(-1);
  let nextId = 1;
  const request = async (panel: FakePanel, method: string, params: unknown) => {
    const id = nextId++;
    panel.send({ kind: 'request', id, method, params });
    await waitFor(() => panel.response(id), `the reply to ${method}`);
    return panel.response(id);
  };
  const cleanup = () => {
    for (const s of subs) s.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return { dir, model, stub, rt, generate, ready, lastState, request, cleanup };
}

const allDone = (panel: FakePanel, n: number) => waitFor(() => panel.notifications('label/candidateDone').length >= n, `${n} candidates done`);

test('Generate Alternatives: K candidates, distinct seeds, raw completion of the code before the selection, streamed', async () => {
  const t = await start();
  try {
    const panel = await t.generate();
    await t.ready(panel);
    await allDone(panel, 4);
    assert.equal(t.rt.generations.length, 4);
    const seeds = t.rt.generations.map((g) => g.sampling.seed);
    assert.equal(new Set(seeds).size, 4, 'distinct seeds');
    for (const g of t.rt.generations) {
      assert.equal(g.mode, 'complete');
      assert.equal(g.prompt, selection.before);
      assert.deepEqual([g.sampling.temperature, g.sampling.topP], [0.8, 0.95]);
    }
    const state = t.lastState(panel);
    assert.equal(state.task.candidates.length, 4);
    assert.equal(state.task.candidates[0].label, `tiny · seed ${seeds[0]}`);
    const tokens = panel.notifications('label/token').filter((x: any) => x.candidateId === 'c2').map((x: any) => x.text);
    assert.deepEqual(tokens, ['return', ' a', ' + b']);
  } finally {
    t.cleanup();
  }
});

test('Save writes one comparison with its provenance; undo takes it back and reopens the task with its labels', async () => {
  const t = await start();
  try {
    const panel = await t.generate();
    await t.ready(panel);
    await allDone(panel, 4);
    const { taskId } = t.lastState(panel).task;
    const decision = { ranking: [['c2'], ['c4']], allBad: false, rationale: 'c2 adds', gold: { text: 'return a + b', fromCandidate: 'c2' } };
    const saved = await t.request(panel, 'label/save', { taskId, decision });
    assert.equal(saved.ok, true, JSON.stringify(saved.error));
    assert.equal(t.lastState(panel).task, null);
    assert.equal(t.lastState(panel).saved, 1);

    const store = await PreferenceStore.openInDataDir(path.join(t.dir, '.model-lab'));
    let snap = await store.read();
    assert.equal(snap.records.length, 1);
    const r = snap.records[0] as ComparisonEvent;
    assert.equal(r.id, saved.result.recordId);
    assert.deepEqual(r.prompt, { text: selection.before });
    assert.deepEqual(r.ranking, [['c2'], ['c4']]);
    assert.equal(r.rationale, 'c2 adds');
    assert.deepEqual(r.gold, { text: 'return a + b', fromCandidate: 'c2' });
    assert.deepEqual(r.context, { file: selection.filePath, language: 'python', range: selection.range });
    assert.equal(r.origin, 'editor');
    assert.deepEqual(r.candidates.map((c) => [c.id, c.text, c.model, c.shownAt]), [['c1', 'return a + b', 'tiny', 0], ['c2', 'return a + b', 'tiny', 1], ['c3', 'return a + b', 'tiny', 2], ['c4', 'return a + b', 'tiny', 3]]);
    assert.deepEqual(r.candidates.map((c) => c.seed), t.rt.generations.map((g) => g.sampling.seed));

    const undo = await t.request(panel, 'label/undoSave', {});
    assert.deepEqual(undo.result, { undone: true });
    snap = await store.read();
    assert.equal(snap.records.length, 0, 'the record is deleted (by an appended event)');
    assert.equal(snap.events, 2);
    const back = t.lastState(panel).task;
    assert.equal(back.taskId, taskId);
    assert.deepEqual(back.decision, decision);
    assert.deepEqual((await t.request(panel, 'label/undoSave', {})).result, { undone: false });
  } finally {
    t.cleanup();
  }
});

test('a model with a chat template gets one user turn built from the instruction template', async () => {
  const t = await start({ chatTemplate: true, settings: { 'label.candidates': 2, 'label.instruction': 'Fix this {language}: {selection}' } });
  try {
    const panel = await t.generate();
    await t.ready(panel);
    await allDone(panel, 2);
    assert.equal(t.rt.generations.length, 2);
    assert.equal(t.rt.generations[0].mode, 'chat');
    assert.equal(t.rt.generations[0].prompt, 'Fix this python: return a - b');
    const { taskId } = t.lastState(panel).task;
    assert.equal((await t.request(panel, 'label/save', { taskId, decision: { ranking: [['c1']], allBad: false, rationale: '', gold: null } })).ok, true);
    const [r] = (await (await PreferenceStore.openInDataDir(path.join(t.dir, '.model-lab'))).read()).records as ComparisonEvent[];
    assert.deepEqual(r.prompt, { messages: [{ role: 'user', content: 'Fix this python: return a - b' }] });
  } finally {
    t.cleanup();
  }
});

test('blind mode hides names and records where each candidate was shown', async () => {
  const t = await start({ settings: { 'label.blind': true, 'label.candidates': 4 } });
  try {
    const panel = await t.generate();
    await t.ready(panel);
    await allDone(panel, 4);
    const task = t.lastState(panel).task;
    assert.equal(task.blind, true);
    assert.deepEqual(task.candidates.map((c: any) => c.label), ['A', 'B', 'C', 'D']);
    const shown = task.candidates.map((c: any) => c.id);
    assert.equal((await t.request(panel, 'label/save', { taskId: task.taskId, decision: { ranking: [[], [shown[0]]], allBad: false, rationale: '', gold: null } })).ok, true);
    const [r] = (await (await PreferenceStore.openInDataDir(path.join(t.dir, '.model-lab'))).read()).records as ComparisonEvent[];
    assert.equal(r.blind, true);
    for (const c of r.candidates) assert.equal(c.shownAt, shown.indexOf(c.id));
  } finally {
    t.cleanup();
  }
});

test('decisions the store cannot take, and saving without a trusted folder, are refused with one line', async () => {
  const t = await start();
  try {
    const panel = await t.generate();
    await t.ready(panel);
    await allDone(panel, 4);
    const { taskId } = t.lastState(panel).task;
    const bad = await t.request(panel, 'label/save', { taskId, decision: { ranking: [['c9']], allBad: false, rationale: '', gold: null } });
    assert.equal(bad.ok, false);
    assert.equal(bad.error.code, 'STORE_INVALID_EVENT');
    assert.match(bad.error.message, /unknown candidate "c9"/);
    assert.ok(t.lastState(panel).task, 'the task stays open');
  } finally {
    t.cleanup();
  }
  const u = await start({ trusted: false });
  try {
    const panel = await u.generate();
    await u.ready(panel);
    await allDone(panel, 4);
    const { taskId } = u.lastState(panel).task;
    const r = await u.request(panel, 'label/save', { taskId, decision: { ranking: [['c1']], allBad: false, rationale: '', gold: null } });
    assert.equal(r.error.code, 'NO_DATA_FOLDER');
  } finally {
    u.cleanup();
  }
});
