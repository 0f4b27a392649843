// The Compare panel's host side on the stub VS Code API and stub runtime: columns answer one after another, stats
// per column, heat maps, blind votes into a real preference store on disk, cancel on close.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activateModelLab } from '../../../src/host/activate/activateModelLab.js';
import { columnsFor } from '../../../src/host/compare/activateCompare.js';
import type { Disposable } from '../../../src/host/vscodeApi/HostApi.js';
import { PreferenceStore } from '../../../src/workspace/preferences/index.js';
import { wordDiff } from '../../../src/protocol/wordDiff.js';
import { createStubHostApi, waitFor, type FakePanel } from './stubHostApi.js';
import { STUB_CATALOG, StubRuntime } from './stubRuntime.js';

const sampling = { temperature: 0, topP: 1, topK: 1, maxTokens: 16, seed: 1 };

async function open() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  const a = path.join(dir, 'a.gguf');
  const b = path.join(dir, 'b.gguf');
  fs.writeFileSync(a, 'GGUF-a');
  fs.writeFileSync(b, 'GGUF-bb');
  const stub = createStubHostApi({ extensionPath: dir, folders: [dir], settings: { contextSize: { defaultValue: 4096, globalValue: 128 } } });
  const rt = new StubRuntime();
  const subs: Disposable[] = [];
  const lab = activateModelLab(stub.api, {
    createRuntime: () => rt, validateModel: async () => undefined, validateAdapter: async () => undefined,
    readInspectSource: async () => { throw new Error('unused'); }, catalog: () => STUB_CATALOG,
  }, subs);
  await lab.ready;
  await stub.commands.get('modelLab.addModelFile')!(a);
  await stub.commands.get('modelLab.addModelFile')!(b);
  await stub.commands.get('modelLab.compareModels')!({ type: 'model', model: { id: a, name: 'a', path: a } });
  const panel = stub.panels.find((p) => (p as FakePanel).options?.script === 'compare') as FakePanel;
  panel.send({ kind: 'notification', method: 'webview/ready', params: {} });
  await waitFor(() => panel.notifications('compare/state').length > 0, 'the state');
  return { dir, stub, rt, panel, a, b, subs };
}

test('columns answer the same prompt one after another, each with its own stats; file sizes include the adapter', async () => {
  const { panel, rt, a, b, dir } = await open();
  const [state] = panel.notifications('compare/state');
  assert.deepEqual(state.columns, [{ kind: 'model', modelId: a }], 'opened on the model it was invoked on');
  const adapter = path.join(dir, 'lora.gguf');
  fs.writeFileSync(adapter, 'LORA');
  panel.send({ kind: 'request', id: 1, method: 'compare/run', params: {
    prompts: ['Say'], mode: 'complete', sampling, blind: false,
    columns: [{ kind: 'model', modelId: a }, { kind: 'model', modelId: b, adapterPath: adapter, adapterScale: 0.5 }],
  } });
  await waitFor(() => panel.notifications('compare/finished').length > 0, 'the run to finish');
  const { runId, order } = panel.response(1).result;
  assert.deepEqual(order, [0, 1]);
  const tokens = panel.notifications('compare/token').map((t: any) => [t.runId, t.column, t.text]);
  assert.deepEqual(tokens, [[runId, 0, 'Hello'], [runId, 0, ','], [runId, 0, ' world'], [runId, 1, 'Hello'], [runId, 1, ','], [runId, 1, ' world']]);
  const done = panel.notifications('compare/done');
  assert.deepEqual(done.map((d: any) => [d.column, d.stats.tokens, d.stats.fileBytes]), [[0, 3, 6], [1, 3, 7 + 4]]);
  assert.deepEqual(rt.generations.map((g: any) => [g.prompt, g.contextSize, g.adapter]), [['Say', 128, undefined], ['Say', 128, { path: adapter, scale: 0.5 }]]);

  panel.send({ kind: 'request', id: 2, method: 'compare/heatmap', params: { runId, prompt: 0, column: 1, against: 0 } });
  await waitFor(() => panel.response(2) !== undefined, 'the heat map');
  const heat = panel.response(2).result.tokens;
  assert.equal(heat.map((t: any) => t.piece).join(''), 'Hello, world', "column 1's answer");
  assert.ok(heat.every((t: any) => t.logprob === -1 && t.other === -1));
});

test('blind mode shuffles the columns, and a vote by display position lands in the preference store with the positions shown', async () => {
  const { panel, a, b, dir } = await open();
  panel.send({ kind: 'request', id: 1, method: 'compare/run', params: {
    prompts: ['p1', 'p2'], mode: 'complete', sampling, blind: true,
    columns: [{ kind: 'model', modelId: a }, { kind: 'model', modelId: b }],
  } });
  await waitFor(() => panel.notifications('compare/finished').length > 0, 'the run to finish');
  const { runId, order } = panel.response(1).result;
  assert.deepEqual([...order].sort(), [0, 1]);
  // the user prefers what was shown second (display position 1) on the second prompt
  panel.send({ kind: 'request', id: 2, method: 'compare/vote', params: { runId, prompt: 1, ranking: [[1]] } });
  await waitFor(() => panel.response(2) !== undefined, 'the vote');
  assert.ok(panel.response(2).ok, JSON.stringify(panel.response(2)));
  const store = await PreferenceStore.open(path.join(dir, '.model-lab', 'preferences.jsonl'));
  const { records } = await store.read();
  assert.equal(records.length, 1);
  const r = records[0] as any;
  assert.equal(r.kind, 'comparison');
  assert.equal(r.prompt.text, 'p2');
  assert.equal(r.blind, true);
  assert.equal(r.origin, 'compare');
  const winner = r.candidates.find((c: any) => c.id === r.ranking[0][0]);
  assert.equal(winner.shownAt, 1);
  assert.equal(winner.model, ['a', 'b'][order[1]]);

  panel.send({ kind: 'request', id: 3, method: 'compare/vote', params: { runId, prompt: 0, ranking: [[0, 0]] } });
  await waitFor(() => panel.response(3) !== undefined, 'the bad vote');
  assert.equal(panel.response(3).ok, false, 'a column named twice is refused');
});

test('closing the panel stops its run', async () => {
  const { panel, rt, a, b } = await open();
  let release!: () => void;
  rt.holdAfterFirst = new Promise<void>((r) => (release = r));
  panel.send({ kind: 'request', id: 1, method: 'compare/run', params: {
    prompts: ['x'], mode: 'chat', sampling, blind: false, columns: [{ kind: 'model', modelId: a }, { kind: 'model', modelId: b }],
  } });
  await waitFor(() => panel.notifications('compare/token').length === 1, 'the first token');
  panel.dispose();
  release();
  await waitFor(() => panel.notifications('compare/finished').length === 1 || rt.generations.length === 1, 'the run to end');
  assert.equal(rt.generations.length, 1, 'the second column never started');
});

test('a pruned variant compares beside its parent, an adapter beside its base without it', () => {
  const registry = {
    find: (id: string) => (id === '/m/base.gguf' ? { id: '/m/base.gguf', name: 'base', path: '/m/base.gguf', source: 'user' } : undefined),
    listVariants: () => [
      { id: 'pruned-1', name: 'pruned', kind: 'model', path: '/d/variants/pruned-1/model.gguf', parent: { file: '/m/base.gguf', sha256: 'x' } },
      { id: 'dpo-1', name: 'dpo', kind: 'adapter', path: '/d/variants/dpo-1/adapter.gguf', parent: { file: '/m/base.gguf', sha256: 'x' } },
    ],
  } as any;
  assert.deepEqual(columnsFor({ type: 'variant', variant: { name: 'pruned', path: '/d/variants/pruned-1/model.gguf', kind: 'model' } }, registry),
    [{ kind: 'model', modelId: '/m/base.gguf' }, { kind: 'model', modelId: '/d/variants/pruned-1/model.gguf' }]);
  assert.deepEqual(columnsFor({ type: 'variant', modelId: '/m/base.gguf', variant: { name: 'dpo', path: '/d/variants/dpo-1/adapter.gguf', kind: 'adapter' } }, registry),
    [{ kind: 'model', modelId: '/m/base.gguf' }, { kind: 'model', modelId: '/m/base.gguf', adapterPath: '/d/variants/dpo-1/adapter.gguf', adapterScale: 1 }]);
});

test('word diff: joining the parts gives both texts back; shared words stay shared', () => {
  const a = 'interface Point {\n  x: number;\n}';
  const b = 'interface Size {\n  x: number;\n  y: number;\n}';
  const parts = wordDiff(a, b);
  assert.equal(parts.filter((p) => p.op !== 'added').map((p) => p.text).join(''), a);
  assert.equal(parts.filter((p) => p.op !== 'removed').map((p) => p.text).join(''), b);
  const wordsOf = (op: string) => parts.filter((p) => p.op === op).flatMap((p) => p.text.split(/\s+/).filter(Boolean));
  assert.deepEqual(wordsOf('removed'), ['Point']);
  assert.deepEqual(wordsOf('added').sort(), ['Size', 'number;', 'y:']);
});
