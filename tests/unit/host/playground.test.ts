import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activateModelLab } from '../../../src/host/activate/activateModelLab.js';
import type { Disposable } from '../../../src/host/vscodeApi/HostApi.js';
import { createStubHostApi, waitFor, type FakePanel } from './stubHostApi.js';
import { STUB_CATALOG, StubRuntime } from './stubRuntime.js';
import { writeVariantFixture } from './variantFixture.js';

const tick = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

async function open(validate: (p: string) => Promise<void> = async () => undefined) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  const model = path.join(dir, 'tiny.gguf');
  fs.writeFileSync(model, 'GGUF');
  const stub = createStubHostApi({ extensionPath: dir, settings: { contextSize: { defaultValue: 4096, globalValue: 1024 } } });
  const rt = new StubRuntime();
  const subs: Disposable[] = [];
  const lab = activateModelLab(stub.api, { createRuntime: () => rt, validateModel: async () => undefined, validateAdapter: validate, readInspectSource: async () => { throw new Error('unused'); }, catalog: () => STUB_CATALOG }, subs);
  await lab.ready;
  await stub.commands.get('modelLab.addModelFile')!(model);
  await stub.commands.get('modelLab.openPlayground')!();
  const panel = stub.panels[0] as FakePanel;
  panel.send({ kind: 'notification', method: 'webview/ready', params: {} });
  await waitFor(() => panel.notifications('playground/state').length > 0, 'the state');
  return { stub, rt, panel, model, subs };
}

const sampling = { temperature: 0, topP: 1, topK: 1, maxTokens: 16, seed: 1 };

test('ready → state with the models; generate streams tokens, then done with stats', async () => {
  const { panel, rt, model } = await open();
  assert.equal(panel.options?.script, 'playground');
  const [state] = panel.notifications('playground/state');
  assert.deepEqual(state.models, [{ id: model, name: 'tiny', source: 'user', chatTemplate: null }]);
  assert.equal(state.selectedModelId, model);

  panel.send({ kind: 'request', id: 1, method: 'playground/generate', params: { modelId: model, mode: 'complete', prompt: 'Say', sampling, adapterPath: '/a.gguf', adapterScale: 0.5 } });
  await waitFor(() => panel.notifications('playground/done').length > 0, 'done');
  const { jobId } = panel.response(1).result;
  assert.deepEqual(panel.notifications('playground/token').map((t: any) => [t.jobId, t.text]), [[jobId, 'Hello'], [jobId, ','], [jobId, ' world']]);
  const [done] = panel.notifications('playground/done');
  assert.equal(done.jobId, jobId);
  assert.equal(done.stats.tokens, 3);
  assert.equal(done.stats.stopReason, 'eos');
  assert.equal(typeof done.stats.timeToFirstTokenMs, 'number');
  assert.equal(rt.generations[0].contextSize, 1024);
  assert.deepEqual(rt.generations[0].adapter, { path: '/a.gguf', scale: 0.5 });
  assert.deepEqual(rt.generations[0].sampling, sampling);
  assert.equal(rt.loads.length, 1);
});

test('Stop cancels one generation; closing the panel cancels the rest', async () => {
  const { panel, rt, model } = await open();
  let release!: () => void;
  rt.holdAfterFirst = new Promise<void>((r) => (release = r));
  panel.send({ kind: 'request', id: 1, method: 'playground/generate', params: { modelId: model, mode: 'chat', prompt: 'a', sampling } });
  await waitFor(() => panel.notifications('playground/token').length === 1, 'the first token');
  const { jobId } = panel.response(1).result;
  panel.send({ kind: 'request', id: 2, method: 'playground/stop', params: { jobId } });
  await waitFor(() => panel.notifications('playground/done').length === 1, 'done');
  assert.deepEqual(panel.response(2).result, { stopped: true });
  const [done] = panel.notifications('playground/done');
  assert.deepEqual([done.stats.stopReason, done.stats.tokens], ['cancelled', 1]);

  panel.send({ kind: 'request', id: 3, method: 'playground/generate', params: { modelId: model, mode: 'chat', prompt: 'b', sampling } });
  await waitFor(() => panel.notifications('playground/token').length === 2, 'the second generation');
  const before = panel.posted.length;
  panel.dispose();
  await tick(20);
  assert.equal(panel.posted.length, before, 'nothing is posted to a closed panel');
  release();
  assert.equal(rt.generations.length, 2);
});

test('a bad adapter is refused with its one-line message before the runtime sees it', async () => {
  const { panel, rt, model } = await open(async (p) => {
    if (p.endsWith('bad.gguf')) throw Object.assign(new Error('tensor data past the end of the file'), { code: 'GGUF_TRUNCATED' });
  });
  panel.send({ kind: 'request', id: 1, method: 'playground/generate', params: { modelId: model, mode: 'chat', prompt: 'a', sampling, adapterPath: '/x/bad.gguf' } });
  await waitFor(() => panel.notifications('playground/error').length > 0, 'the error');
  const [err] = panel.notifications('playground/error');
  assert.deepEqual(err, { jobId: panel.response(1).result.jobId, code: 'GGUF_TRUNCATED', message: 'tensor data past the end of the file' });
  assert.equal(rt.generations.length, 0);
});

test('copy and insert reach the clipboard and the editor', async () => {
  const { panel, stub } = await open();
  panel.send({ kind: 'request', id: 1, method: 'playground/copy', params: { text: 'abc' } });
  panel.send({ kind: 'request', id: 2, method: 'playground/insert', params: { text: 'def' } });
  await waitFor(() => panel.response(1) && panel.response(2), 'the replies');
  assert.deepEqual(stub.clipboard, ['abc']);
  assert.deepEqual(stub.inserted, ['def']);
  assert.deepEqual(panel.response(2).result, { inserted: true });
});

test('opening the playground on a LoRA variant selects its base model and fills in the adapter', async () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  const model = path.join(ws, 'base.gguf');
  fs.writeFileSync(model, 'GGUF');
  const data = path.join(ws, '.model-lab');
  const adapter = writeVariantFixture(data, 'lora-1', { kind: 'adapter', parentFile: model });
  const pruned = writeVariantFixture(data, 'pruned-1', { kind: 'pruned', parentFile: model });
  const prunedAdapter = writeVariantFixture(data, 'pruned-1-lora', { kind: 'adapter', parentFile: pruned, parentVariant: 'pruned-1' });
  const stub = createStubHostApi({ extensionPath: ws, folders: [ws] });
  const subs: Disposable[] = [];
  const lab = activateModelLab(stub.api, { createRuntime: () => new StubRuntime(), validateModel: async () => undefined, validateAdapter: async () => undefined, readInspectSource: async () => { throw new Error('unused'); }, catalog: () => STUB_CATALOG }, subs);
  await lab.ready;
  const [root] = stub.trees[0].source.getChildren(undefined) as any[];
  assert.equal(root.model.path, model);
  const [lora, prunedNode] = root.children;
  assert.deepEqual([lora.type, lora.variant.kind, lora.modelId], ['variant', 'adapter', model]);
  await stub.commands.get('modelLab.openPlayground')!(lora);
  const panel = stub.panels[0] as FakePanel;
  panel.send({ kind: 'notification', method: 'webview/ready', params: {} });
  await waitFor(() => panel.notifications('playground/state').length > 0, 'the state');
  const [state] = panel.notifications('playground/state');
  assert.equal(state.selectedModelId, model);
  assert.equal(state.adapterPath, adapter);

  // An adapter trained on a pruned variant runs on that pruned model, not on the base.
  const prunedLora = prunedNode.children[0];
  assert.deepEqual([prunedNode.variant.id, prunedLora.variant.id, prunedLora.modelId], ['pruned-1', 'pruned-1-lora', pruned]);
  await stub.commands.get('modelLab.openPlayground')!(prunedLora);
  await waitFor(() => panel.notifications('playground/state').length > 1, 'the second state');
  const second = panel.notifications('playground/state').at(-1);
  assert.equal(second.selectedModelId, pruned);
  assert.equal(second.adapterPath, prunedAdapter);
  for (const s of subs) s.dispose();
});
