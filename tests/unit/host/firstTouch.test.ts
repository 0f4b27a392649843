// What a new user meets first: one context-size rule (setting vs the model's trained context) in the Playground
// and Inspect, where the models folder is (Reveal Models Folder, Add Model File starting there), menus that offer
// only what works and the Load/Unload that applies, and a model tooltip that says what the model is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activateModelLab, type ActivationDeps } from '../../../src/host/activate/activateModelLab.js';
import { readInspectSource } from '../../../src/host/engineAccess/checkGgufFile.js';
import { InspectPanel } from '../../../src/host/inspect/InspectPanel.js';
import { ModelFactsCache } from '../../../src/host/inspect/ModelFactsCache.js';
import { modelNodeData, modelTooltip } from '../../../src/host/models/ModelsTreeSource.js';
import type { ModelTreeNode } from '../../../src/host/models/buildModelTree.js';
import type { Disposable } from '../../../src/host/vscodeApi/HostApi.js';
import { chooseContextSize, DEFAULT_CONTEXT_SIZE } from '../../../src/protocol/contextSize.js';
import { describeStopReason } from '../../../src/protocol/stopReasons.js';
import { writeTestModel } from '../../../src/engine/synth/index.js';
import { createStubHostApi, FakePanel, waitFor, type StubOptions } from './stubHostApi.js';
import { STUB_CATALOG, StubRuntime } from './stubRuntime.js';

const manifest = JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));

function start(opts: StubOptions = {}, deps: Partial<ActivationDeps> = {}) {
  const stub = createStubHostApi({ extensionPath: fs.mkdtempSync(path.join(os.tmpdir(), 'ml-')), ...opts });
  const rt = new StubRuntime();
  const subs: Disposable[] = [];
  const lab = activateModelLab(
    stub.api,
    { createRuntime: () => rt, validateModel: async () => undefined, validateAdapter: async () => undefined, readInspectSource, catalog: () => STUB_CATALOG, ...deps },
    subs,
  );
  return { stub, rt, subs, lab, run: (id: string, ...args: unknown[]) => stub.commands.get(id)!(...args) as Promise<unknown> };
}

/** A small llama model whose header says it was trained with `contextLength` tokens (no chat template). */
async function modelFile(contextLength = 256): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  const p = path.join(dir, 'tiny.gguf');
  await writeTestModel(p, { arch: 'llama', nEmbd: 64, nLayer: 2, nHead: 4, nHeadKv: 2, nFf: 128, seed: 3, contextLength });
  return p;
}

test('context size: the smaller of the setting and the trained context, with a note when the setting is larger', () => {
  assert.deepEqual(chooseContextSize(4096, 256), { size: 256, note: 'Context 256 tokens: the model was trained with 256, less than modelLab.contextSize (4096).' });
  assert.deepEqual(chooseContextSize(1024, 4096), { size: 1024, note: null });
  assert.deepEqual(chooseContextSize(1024, null), { size: 1024, note: null }, 'an unknown trained context leaves the setting');
  assert.deepEqual(chooseContextSize(undefined, 0), { size: DEFAULT_CONTEXT_SIZE, note: null });
  assert.equal(manifest.contributes.configuration.properties['modelLab.contextSize'].default, DEFAULT_CONTEXT_SIZE, 'package.json and the code share the default');
});

test('the Playground creates sessions with min(setting, trained context) and logs why; its model list carries the note', async () => {
  const file = await modelFile(256);
  const { stub, rt, run, lab } = start({ settings: { contextSize: { defaultValue: 4096 } } });
  rt.trainContextSize = 256;
  await lab.ready;
  await run('modelLab.addModelFile', file);
  await run('modelLab.openPlayground');
  const panel = stub.panels[0] as FakePanel;
  panel.send({ kind: 'notification', method: 'webview/ready', params: {} });
  // the header is read in the background: the state is posted again with what it says
  await waitFor(() => panel.notifications('playground/state').some((s: any) => s.models[0]?.chatTemplate === false), 'the header facts');
  const state = panel.notifications('playground/state').at(-1);
  assert.deepEqual(state.models[0], {
    id: file, name: 'tiny', source: 'user', chatTemplate: false, contextSize: 256,
    contextNote: 'Context 256 tokens: the model was trained with 256, less than modelLab.contextSize (4096).',
  });
  const sampling = { temperature: 0, topP: 1, topK: 1, maxTokens: 8, seed: 1 };
  panel.send({ kind: 'request', id: 1, method: 'playground/generate', params: { modelId: file, mode: 'complete', prompt: 'x', sampling } });
  await waitFor(() => panel.notifications('playground/done').length > 0, 'done');
  assert.equal(rt.generations[0]!.contextSize, 256);
  assert.equal(panel.notifications('playground/done')[0].stats.contextSize, 256);
  assert.ok(stub.logLines.some((l) => l.includes('tiny: Context 256 tokens: the model was trained with 256')), stub.logLines.join('\n'));
});

test("Inspect's memory estimate starts at the same context (min of setting and trained context) and refuses too many GPU layers", async () => {
  const file = await modelFile(256);
  const panel = new FakePanel();
  new InspectPanel(file, panel, readInspectSource, () => undefined, () => 4096);
  panel.send({ kind: 'notification', method: 'webview/ready', params: {} });
  await waitFor(() => panel.notifications('inspect/model').length > 0, 'the model');
  const [m] = panel.notifications('inspect/model');
  assert.equal(m.defaultContextSize, 256);
  assert.match(m.contextNote, /trained with 256, less than modelLab\.contextSize \(4096\)/);
  assert.equal(m.offloadableLayers, 3, '2 blocks + the output layer, as llama.cpp counts GPU layers');
  panel.send({ kind: 'request', id: 7, method: 'inspect/estimate', params: { contextSize: 256, gpuLayers: 99 } });
  await waitFor(() => panel.response(7), 'the answer');
  assert.equal(panel.response(7).ok, false);
  assert.match(panel.response(7).error.message, /GPU layers must be between 0 and 3/);
  panel.send({ kind: 'request', id: 8, method: 'inspect/estimate', params: { contextSize: 256, gpuLayers: 3 } });
  await waitFor(() => panel.response(8), 'the answer');
  assert.equal(panel.response(8).ok, true);
});

test('Reveal Models Folder: the global-storage folder when the setting is empty, created; path shown and copied in a remote window', async () => {
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-storage-'));
  const { stub, run } = start({ globalStoragePath: storage });
  stub.actionAnswers.push('Copy Path');
  const dir = await run('modelLab.revealModelsFolder');
  assert.equal(dir, path.join(storage, 'models'));
  assert.ok(fs.statSync(dir as string).isDirectory(), 'the folder exists, so there is something to open');
  assert.deepEqual(stub.revealed, [dir], 'it tried the OS file manager first');
  assert.deepEqual(stub.offered.at(-1), { text: `Model Lab: models and downloads are in ${dir}`, actions: ['Copy Path', 'Change Folder…'] });
  assert.deepEqual(stub.clipboard, [dir]);
});

test('Reveal Models Folder: the modelLab.modelsDirectory setting when set; a local window opens it in the OS', async () => {
  const mine = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ml-')), 'my-models');
  const { stub, run } = start({ canReveal: true, settings: { modelsDirectory: { globalValue: mine } } });
  assert.equal(await run('modelLab.revealModelsFolder'), mine);
  assert.deepEqual(stub.revealed, [mine]);
  assert.deepEqual(stub.offered, [], 'no message when the folder opened');
  const setting = manifest.contributes.configuration.properties['modelLab.modelsDirectory'];
  assert.equal(setting.scope, undefined, 'a window-scoped setting shows under User and Remote alike');
  assert.match(setting.markdownDescription, /Reveal Models Folder/);
});

test('Add Model File… starts in the models folder with a .gguf filter; a rejected file offers the full reason', async () => {
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-storage-'));
  const bad = path.join(storage, 'bad.gguf');
  fs.writeFileSync(bad, 'nope');
  const reason = 'Not a GGUF file: the first 4 bytes are not "GGUF" (a very long reason that a toast would cut off at the end)';
  const { stub, run } = start({ globalStoragePath: storage }, { validateModel: async () => Promise.reject(Object.assign(new Error(reason), { code: 'GGUF_BAD_MAGIC' })) });
  stub.pickFileAnswers.push(bad);
  await run('modelLab.addModelFile');
  assert.deepEqual(stub.pickFileOptions, [{ title: 'Add a model file (.gguf)', filters: { 'GGUF model (*.gguf)': ['gguf'] }, defaultPath: path.join(storage, 'models') }]);
  assert.deepEqual(stub.offered.at(-1), { text: `Model Lab: bad.gguf is not a usable GGUF model: ${reason}`, actions: ['Show Details'] });
  assert.ok(stub.logLines.some((l) => l.includes(reason)), 'the log has the whole reason');
});

test("the editor's entries sit in a Model Lab submenu", () => {
  const menus = manifest.contributes.menus as Record<string, Array<{ command?: string; submenu?: string; when?: string }>>;
  assert.deepEqual(menus['editor/context'], [{ submenu: 'modelLab.editor', group: 'modelLab@1' }]);
  assert.deepEqual(manifest.contributes.submenus, [{ id: 'modelLab.editor', label: 'Model Lab' }]);
  assert.ok(menus['modelLab.editor']!.some((e) => e.command === 'modelLab.openPlayground'));
});

/** Evaluates the `viewItem =~ /…/` part of a when clause against a tree item's contextValue. */
function shows(command: string, contextValue: string): boolean {
  return (manifest.contributes.menus['view/item/context'] as Array<{ command: string; when: string; group: string }>)
    .filter((e) => e.command === command && e.when.includes('view == modelLab.models') && !e.group.startsWith('inline'))
    .some((e) => {
      const m = /viewItem =~ \/(.*)\/$/.exec(e.when);
      return m ? new RegExp(m[1]!).test(contextValue) : false;
    });
}

test("the model's context menu offers Open Playground, and Load or Unload as applies", () => {
  const model = { id: '/m/a.gguf', name: 'a', path: '/m/a.gguf', source: 'user' as const };
  const notLoaded = modelNodeData({ type: 'model', model, loaded: false, children: [] } as ModelTreeNode).contextValue;
  const loaded = modelNodeData({ type: 'model', model, loaded: true, children: [] } as ModelTreeNode).contextValue;
  assert.deepEqual([shows('modelLab.loadModel', notLoaded), shows('modelLab.unloadModel', notLoaded)], [true, false]);
  assert.deepEqual([shows('modelLab.loadModel', loaded), shows('modelLab.unloadModel', loaded)], [false, true]);
  assert.ok(shows('modelLab.openPlayground', notLoaded) && shows('modelLab.openPlayground', loaded));
});

test('the model tooltip: name, architecture, parameters, quantization, size, template, where it lives', async () => {
  const file = await modelFile(256);
  const facts = new ModelFactsCache(readInspectSource);
  const f = await facts.get(file);
  const text = modelTooltip({ id: file, name: 'tiny', path: file, source: 'user' }, f);
  const lines = text.split('\n');
  assert.equal(lines[0], 'tiny');
  assert.match(lines[1]!, /^llama · [\d.]+ [KM] parameters · \w+ · [\d.]+ [KMG]?i?B$/);
  assert.equal(lines[2], 'chat template: none (raw completion) · trained context 256 tokens');
  assert.equal(lines[3], `added by you: ${file}`);
  assert.equal(modelTooltip({ id: 'x', name: 'x', path: '/x.gguf', source: 'directory', problem: 'not a GGUF file' }, null), 'x\nCannot be used: not a GGUF file\nin the models folder: /x.gguf');
  facts.dispose();
});

test('stop reasons read the same everywhere', () => {
  assert.equal(describeStopReason('eos', 0), 'Stopped: the model ended the text (end-of-sequence token) after 0 tokens.');
  assert.equal(describeStopReason('maxTokens', 16), 'Stopped: reached the max tokens setting after 16 tokens.');
  assert.equal(describeStopReason('contextFull', 1), 'Stopped: the context window is full after 1 token.');
  assert.equal(describeStopReason('cancelled'), 'Stopped: stopped by you.');
  assert.equal(describeStopReason('something new'), 'Stopped: the runtime ended the generation.');
});

test('the demo workspace guidance names only commands the extension offers, in the order of the loop', async () => {
  const { demoReadme } = (await import('../../../scripts/lib/demoWorkspace.mjs')) as { demoReadme: () => string };
  const text = demoReadme();
  const hidden = new Set(manifest.contributes.menus.commandPalette.filter((e: { when?: string }) => e.when === 'false').map((e: { command: string }) => e.command));
  const offered = manifest.contributes.commands.filter((c: { command: string }) => !hidden.has(c.command)).map((c: { title: string }) => c.title);
  const notOffered = manifest.contributes.commands.filter((c: { command: string }) => hidden.has(c.command)).map((c: { title: string }) => c.title);
  const named = [...text.matchAll(/\*\*(?:Model Lab: |Model Lab → )?([^*]+)\*\*/g)].map((m) => m[1]!.replace(/\s+/g, ' ')).filter((t) => !['Model Lab', 'Demo (built-in)'].includes(t));
  assert.ok(named.length >= 3, text);
  for (const t of named) assert.ok(offered.includes(t), `the demo README sends users to "${t}", which is not offered`);
  for (const t of notOffered) assert.ok(!text.includes(t), `the demo README names "${t}", which is hidden`);
  assert.ok(!/Generate Alternatives/.test(text) || offered.includes('Generate Alternatives'));
});
