import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { activateModelLab, type ActivationDeps } from '../../../src/host/activate/activateModelLab.js';
import { USER_MODELS_KEY } from '../../../src/host/models/ModelRegistry.js';
import type { Disposable } from '../../../src/host/vscodeApi/HostApi.js';
import { createStubHostApi, type StubOptions } from './stubHostApi.js';
import { STUB_CATALOG, StubRuntime } from './stubRuntime.js';

const manifest = JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
const manifestCommands: string[] = manifest.contributes.commands.map((c: { command: string }) => c.command);

function start(opts: StubOptions = {}, deps: Partial<ActivationDeps> = {}) {
  const stub = createStubHostApi({ extensionPath: fs.mkdtempSync(path.join(os.tmpdir(), 'ml-')), ...opts });
  const rt = new StubRuntime();
  const subs: Disposable[] = [];
  const lab = activateModelLab(
    stub.api,
    { createRuntime: () => rt, validateModel: async () => undefined, validateAdapter: async () => undefined, readInspectSource: async () => { throw new Error('unused'); }, catalog: () => STUB_CATALOG, ...deps },
    subs,
  );
  return { stub, rt, subs, lab, run: (id: string, ...args: unknown[]) => stub.commands.get(id)!(...args) as Promise<unknown> };
}

test('every manifest command has a handler, and every handler is in the manifest', () => {
  const { stub, subs, lab } = start();
  assert.deepEqual([...stub.commands.keys()].sort(), [...manifestCommands].sort());
  assert.deepEqual(lab.failedFeatures, []);
  for (const c of manifest.contributes.commands) assert.equal(c.category, 'Model Lab', c.command);
  for (const s of subs) s.dispose();
  assert.equal(stub.commands.size, 0, 'every registration went into subscriptions');
});

test('menu entries in the manifest only name contributed commands and declared submenus', () => {
  const submenus: string[] = (manifest.contributes.submenus ?? []).map((s: { id: string }) => s.id);
  for (const [where, entries] of Object.entries(manifest.contributes.menus as Record<string, Array<{ command?: string; submenu?: string }>>)) {
    for (const e of entries) {
      if (e.submenu !== undefined) assert.ok(submenus.includes(e.submenu), `${where}: submenu ${e.submenu}`);
      else assert.ok(manifestCommands.includes(e.command!), `${where}: ${e.command}`);
    }
  }
});

test('a feature that fails to start logs and stays off; the rest still activate', () => {
  const { stub, lab } = start({ failTree: true });
  assert.deepEqual(lab.failedFeatures, ['models view', 'jobs view']);
  assert.ok(stub.logLines.some((l) => l.includes('models view is off') && l.includes('tree views are broken')));
  assert.equal(stub.commands.size, manifestCommands.length);
  assert.equal(stub.statusItems.length, 2, 'the status bars (loaded model, running job) still started');
});

test('Add Model File: a bad file gets the reader\'s one-line message and is not added; a good one is persisted', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  const bad = path.join(dir, 'bad.gguf');
  const good = path.join(dir, 'good.gguf');
  fs.writeFileSync(bad, 'nope');
  fs.writeFileSync(good, 'GGUF');
  const { stub, run, lab } = start({}, {
    validateModel: async (p) => {
      if (p === bad) throw Object.assign(new Error('Not a GGUF file: the first 4 bytes are not "GGUF"'), { code: 'GGUF_BAD_MAGIC' });
    },
  });
  await lab.ready;
  stub.pickFileAnswers.push(bad);
  await run('modelLab.addModelFile');
  assert.deepEqual(stub.shown, [{ level: 'error', text: 'Model Lab: bad.gguf is not a usable GGUF model: Not a GGUF file: the first 4 bytes are not "GGUF"' }]);
  assert.equal(stub.state.get(USER_MODELS_KEY), undefined);

  stub.shown.length = 0;
  stub.pickFileAnswers.push(good);
  await run('modelLab.addModelFile');
  assert.deepEqual(stub.state.get(USER_MODELS_KEY), [good]);
  assert.deepEqual(lab.registry!.list().map((m) => [m.name, m.source]), [['good', 'user']]);
  assert.deepEqual(stub.shown, [{ level: 'info', text: 'Model Lab: added good.' }]);

  // from the explorer context menu: a Uri-like argument, no picker
  await run('modelLab.removeModel', { type: 'model', model: lab.registry!.list()[0] });
  assert.deepEqual(stub.state.get(USER_MODELS_KEY), []);
  await run('modelLab.addModelFile', { fsPath: good, scheme: 'file' });
  assert.deepEqual(stub.state.get(USER_MODELS_KEY), [good]);
});

test('Load and Unload go through the lazily started runtime, with the settings passed through', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  const good = path.join(dir, 'm.gguf');
  fs.writeFileSync(good, 'GGUF');
  const { stub, run, rt, lab } = start({ settings: { gpu: { defaultValue: 'auto', globalValue: 'vulkan' }, gpuLayers: { defaultValue: 'auto', globalValue: 7 }, threads: { defaultValue: 0, globalValue: 2 }, contextSize: { defaultValue: 4096 } } });
  assert.equal(lab.runtime!.started, false, 'no runtime before first use');
  await run('modelLab.addModelFile', good);
  await run('modelLab.loadModel', { type: 'model', model: lab.registry!.list()[0] });
  assert.deepEqual(rt.loads, [{ path: good, opts: { gpu: 'vulkan', gpuLayers: 7, threads: 2, contextSize: 4096 } }]);
  assert.ok(stub.shown.some((s) => s.text === 'Model Lab: m is loaded (CUDA, 4/5 layers on the GPU).'));
  assert.equal(stub.statusItems[0].text, '$(chip) m · CUDA · 4/5 layers · 3.00 MB');
  assert.equal(stub.statusItems[0].visible, true);
  stub.pickOneAnswers.push((items) => items[0]);
  await run('modelLab.unloadModel');
  assert.deepEqual(rt.unloads, ['m1']);
  assert.equal(stub.shown[stub.shown.length - 1].text, 'Model Lab: unloaded m.');
  assert.equal(stub.statusItems[0].visible, false, 'nothing loaded: no status item');
  await run('modelLab.unloadModel');
  assert.equal(stub.shown[stub.shown.length - 1].text, 'Model Lab: no model is loaded.');
});

test('a runtime crash becomes a warning; models the restarted runtime did not reload are forgotten', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  const a = path.join(dir, 'a.gguf');
  const b = path.join(dir, 'b.gguf');
  fs.writeFileSync(a, 'GGUF');
  fs.writeFileSync(b, 'GGUF');
  const { stub, run, rt, lab } = start();
  await run('modelLab.addModelFile', a);
  await run('modelLab.addModelFile', b);
  await run('modelLab.loadModel', a);
  await run('modelLab.loadModel', b);
  assert.equal(lab.runtime!.listLoaded().length, 2);
  rt.emitLog('llama: hello from the runtime');
  rt.held.delete('m2'); // the restarted runtime could not reload b
  rt.emitEvent({ kind: 'crashed', reason: 'signal SIGABRT' });
  await new Promise((r) => setImmediate(r));
  assert.ok(stub.logLines.includes('llama: hello from the runtime'));
  assert.ok(stub.shown.some((s) => s.level === 'warning' && s.text.includes('stopped unexpectedly (signal SIGABRT)')));
  assert.deepEqual(lab.runtime!.listLoaded().map((l) => l.name), ['a']);
});

test('Download: catalog pick goes to global storage/models; a custom hf: URI is asked for', async () => {
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  const { stub, run, rt, lab } = start({ globalStoragePath: storage });
  // showing the catalog starts no runtime process (cancelling the pick leaves it stopped)
  await run('modelLab.downloadModel');
  assert.equal(lab.runtime!.started, false);
  const file = path.join(storage, 'models', 'phi.gguf');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, 'GGUF');
  rt.downloadResult = file;
  stub.pickOneAnswers.push((items) => items[0]);
  await run('modelLab.downloadModel');
  assert.deepEqual(rt.downloads, [{ uri: 'hf:microsoft/Phi-3-mini-4k-instruct-gguf/Phi-3-mini-4k-instruct-q4.gguf', directory: path.join(storage, 'models') }]);
  assert.ok(stub.shown.some((s) => s.text === 'Model Lab: downloaded phi.'));
  stub.pickOneAnswers.push((items) => items[items.length - 1]);
  stub.inputAnswers.push(' hf:someone/repo/file.gguf ');
  await run('modelLab.downloadModel');
  assert.equal(rt.downloads[1].uri, 'hf:someone/repo/file.gguf');
});

test('changing the GPU setting stops the runtime; the next load starts a fresh one', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  const good = path.join(dir, 'm.gguf');
  fs.writeFileSync(good, 'GGUF');
  const runtimes: StubRuntime[] = [];
  const { stub, run, lab } = start({}, { createRuntime: () => (runtimes.push(new StubRuntime()), runtimes[runtimes.length - 1]) });
  await run('modelLab.loadModel', good);
  assert.equal(runtimes.length, 1);
  stub.changeSettings('modelLab.contextSize');
  assert.equal(lab.runtime!.listLoaded().length, 1, 'other settings leave the runtime alone');
  stub.changeSettings('modelLab.gpu');
  assert.equal(lab.runtime!.listLoaded().length, 0);
  await new Promise((r) => setImmediate(r));
  assert.equal(runtimes[0].disposed, true);
  assert.ok(stub.shown.some((s) => s.text.includes('restarts with the new setting')));
  await run('modelLab.loadModel', good);
  assert.equal(runtimes.length, 2);
});
