// The Preferences (dataset) view on the stubbed VS Code API and the real store: stats and records newest first,
// search filter, delete with undo (delete and restore events), editing a record's labels in the Label panel
// (a revise event; undo reverts it), and a clear row when there is no trusted folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activateModelLab } from '../../../src/host/activate/activateModelLab.js';
import type { Disposable, TreeNodeData } from '../../../src/host/vscodeApi/HostApi.js';
import { PreferenceStore, type ComparisonEvent } from '../../../src/workspace/preferences/index.js';
import { createStubHostApi, waitFor, type FakePanel } from '../host/stubHostApi.js';
import { STUB_CATALOG, StubRuntime } from '../host/stubRuntime.js';

async function start(trusted = true) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-dataset-'));
  const stub = createStubHostApi({ extensionPath: dir, folders: [dir], trusted });
  const subs: Disposable[] = [];
  const lab = activateModelLab(stub.api, { createRuntime: () => new StubRuntime(), validateModel: async () => undefined, validateAdapter: async () => undefined, readInspectSource: async () => { throw new Error('unused'); }, catalog: () => STUB_CATALOG }, subs);
  await lab.ready;
  const tree = stub.trees.find((t) => t.viewId === 'modelLab.dataset')!;
  assert.ok(tree, 'the Preferences view is registered');
  const rows = async (): Promise<TreeNodeData[]> => (await tree.source.getChildren(undefined)).map((n) => tree.source.toData(n));
  const store = () => PreferenceStore.openInDataDir(path.join(dir, '.model-lab'));
  const cleanup = () => {
    for (const s of subs) s.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return { dir, stub, tree, rows, store, cleanup };
}

const comparison = (text: string, createdAt: string, more: Partial<ComparisonEvent> = {}) => ({
  prompt: { text: 'def f():\n' },
  candidates: [{ id: 'c1', text: `${text} one`, model: 'demo' }, { id: 'c2', text: `${text} two`, model: 'demo', shownAt: 1 }],
  ranking: [['c1'], ['c2']],
  context: { file: '/w/src/f.py', language: 'python', range: { start: { line: 4, character: 0 }, end: { line: 4, character: 3 } } },
  createdAt,
  ...more,
});

test('stats row, then records newest first; the filter narrows them; delete offers undo', async () => {
  const t = await start();
  try {
    const s = await t.store();
    const a = await s.addComparison(comparison('alpha', '2026-12-01T09:00:00.000Z'));
    const b = await s.addComparison(comparison('beta', '2026-12-01T10:00:00.000Z', { ranking: [['c1', 'c2']] }));
    await s.addFeedback({ prompt: { text: 'x' }, response: { id: 'r', text: 'gamma', model: 'demo' }, reward: -1 });
    let rows = await t.rows();
    assert.match(rows[0].label, /^3 records · 1 pairs · ties 50% · 👍0 👎1$/);
    assert.deepEqual(rows.slice(1).map((r) => r.label), ['👎 gamma', 'beta one', 'alpha one']);
    assert.match(rows[2].description!, /^tie \(demo\) · f\.py:5 · 2026-12-01 10:00$/);
    assert.equal(rows[3].contextValue, 'preference.comparison');

    t.stub.inputAnswers.push('ALPHA');
    await t.stub.commands.get('modelLab.dataset.filter')!();
    rows = await t.rows();
    assert.deepEqual(rows.slice(1).map((r) => r.label), ['alpha one']);
    assert.match(rows[0].label, /filter "ALPHA": 1$/);
    t.stub.inputAnswers.push('');
    await t.stub.commands.get('modelLab.dataset.filter')!();

    t.stub.actionAnswers.push('Undo');
    await t.stub.commands.get('modelLab.dataset.deleteRecord')!({ type: 'record', record: a });
    const snap = await s.read();
    assert.equal(snap.records.length, 3, 'undo restored it');
    assert.equal(snap.events, 5, 'delete and restore are appended events');
    t.stub.actionAnswers.push(undefined);
    await t.stub.commands.get('modelLab.dataset.deleteRecord')!({ type: 'record', record: b });
    assert.deepEqual((await t.rows()).slice(1).map((r) => r.label), ['👎 gamma', 'alpha one']);
  } finally {
    t.cleanup();
  }
});

test('Edit Labels opens the record in the Label panel; saving revises it and undo reverts the revision', async () => {
  const t = await start();
  try {
    const s = await t.store();
    const a = await s.addComparison(comparison('alpha', '2026-12-01T09:00:00.000Z', { blind: true }));
    const [, row] = await t.rows();
    await t.stub.commands.get(row.command!.command)!(...row.command!.arguments);
    const panel = t.stub.panels.find((p) => p.options?.script === 'label') as FakePanel;
    panel.send({ kind: 'notification', method: 'webview/ready', params: {} });
    await waitFor(() => panel.notifications('label/state').length > 0, 'the state');
    const task = panel.notifications('label/state').at(-1).task;
    assert.deepEqual(task.decision, { ranking: [['c1'], ['c2']], allBad: false, rationale: '', gold: null });
    assert.deepEqual(task.candidates.map((c: any) => [c.id, c.label, c.done]), [['c1', 'A', true], ['c2', 'B', true]]);

    panel.send({ kind: 'request', id: 1, method: 'label/save', params: { taskId: task.taskId, decision: { ranking: [['c2'], ['c1']], allBad: false, rationale: 'two is right', gold: null } } });
    await waitFor(() => panel.response(1), 'the save');
    assert.equal(panel.response(1).result.recordId, a.id);
    let [r] = (await s.read()).records as ComparisonEvent[];
    assert.deepEqual([r.id, r.ranking, r.rationale, r.createdAt], [a.id, [['c2'], ['c1']], 'two is right', a.createdAt]);
    assert.equal((await t.rows())[1].label, 'alpha two', 'the view follows the change');

    panel.send({ kind: 'request', id: 2, method: 'label/undoSave', params: {} });
    await waitFor(() => panel.response(2), 'the undo');
    [r] = (await s.read()).records as ComparisonEvent[];
    assert.deepEqual([r.ranking, r.rationale], [[['c1'], ['c2']], undefined]);
    assert.equal((await s.read()).events, 3);
  } finally {
    t.cleanup();
  }
});

test('without a trusted folder the view says where labels would go instead of failing', async () => {
  const t = await start(false);
  try {
    const rows = await t.rows();
    assert.equal(rows.length, 1);
    assert.match(rows[0].label, /Open a trusted workspace folder/);
  } finally {
    t.cleanup();
  }
});
