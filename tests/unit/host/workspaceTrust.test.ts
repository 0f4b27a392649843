import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readSettings } from '../../../src/host/settings/readSettings.js';
import { activateModelLab } from '../../../src/host/activate/activateModelLab.js';
import type { Disposable } from '../../../src/host/vscodeApi/HostApi.js';
import { createStubHostApi } from './stubHostApi.js';
import { modelNodeData } from '../../../src/host/models/ModelsTreeSource.js';
import { playgroundModels } from '../../../src/host/playground/PlaygroundPanel.js';
import { STUB_CATALOG, StubRuntime } from './stubRuntime.js';
import { writeVariantFixture } from './variantFixture.js';

function touch(p: string) {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, 'GGUF');
}

function fixture() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  const ext = path.join(root, 'ext');
  const ws = path.join(root, 'ws');
  const userDir = path.join(root, 'user-models');
  const wsDir = path.join(ws, 'repo-models');
  touch(path.join(ext, 'media', 'models', 'demo.gguf'));
  touch(path.join(ws, 'checkpoints', 'in-workspace.gguf'));
  touch(path.join(wsDir, 'from-workspace-setting.gguf'));
  touch(path.join(userDir, 'from-user-setting.gguf'));
  writeVariantFixture(path.join(ws, '.model-lab'), 'v1', { kind: 'pruned', parentFile: path.join(ext, 'media', 'models', 'demo.gguf') });
  return { root, ext, ws, userDir, wsDir };
}

test('readSettings: an untrusted workspace cannot name folders; a trusted one can', () => {
  const settings = {
    modelsDirectory: { defaultValue: '', globalValue: '/home/u/models', workspaceValue: '/evil/models' },
    dataDirectory: { defaultValue: '.model-lab', workspaceValue: '../../outside' },
    gpuLayers: { defaultValue: 'auto', globalValue: 12 },
    contextSize: { defaultValue: 4096, globalValue: 64 },
  };
  const ws = (trusted: boolean) => createStubHostApi({ trusted, folders: ['/w'], settings }).api.workspace;
  const u = readSettings(ws(false));
  assert.equal(u.trusted, false);
  assert.equal(u.modelsDirectory, '/home/u/models');
  assert.equal(u.dataDirectory, null);
  assert.equal(u.scanWorkspace, false);
  assert.equal(u.gpuLayers, 12);
  assert.equal(u.contextSize, 4096, 'values below the minimum fall back to the default');
  const t = readSettings(ws(true));
  assert.equal(t.modelsDirectory, '/evil/models');
  assert.equal(t.dataDirectory, path.resolve('/w', '../../outside'));
  assert.equal(t.scanWorkspace, true);
});

test('untrusted workspace: no workspace scan, no workspace-named folder, no variants — until trust is granted', async () => {
  const f = fixture();
  const stub = createStubHostApi({
    trusted: false,
    extensionPath: f.ext,
    globalStoragePath: path.join(f.root, 'storage'),
    folders: [f.ws],
    settings: { modelsDirectory: { defaultValue: '', workspaceValue: f.wsDir }, dataDirectory: { defaultValue: '.model-lab' } },
  });
  const subs: Disposable[] = [];
  const lab = activateModelLab(stub.api, { createRuntime: () => new StubRuntime(), validateModel: async () => undefined, validateAdapter: async () => undefined, readInspectSource: async () => { throw new Error('unused'); }, catalog: () => STUB_CATALOG }, subs);
  await lab.ready;
  assert.deepEqual(lab.registry!.list().map((m) => m.name), ['Demo (built-in)']);
  assert.deepEqual(lab.registry!.listVariants(), []);

  stub.grantTrust();
  await lab.registry!.refresh();
  assert.deepEqual(lab.registry!.list().map((m) => `${m.source}:${m.name}`).sort(), [
    'demo:Demo (built-in)',
    'directory:from-workspace-setting',
    'workspace:in-workspace',
  ]);
  assert.deepEqual(lab.registry!.listVariants().map((v) => v.id), ['v1']);
  for (const s of subs) s.dispose();
});

test('untrusted workspace still uses the user-level models directory', async () => {
  const f = fixture();
  const stub = createStubHostApi({
    trusted: false,
    extensionPath: f.ext,
    folders: [f.ws],
    settings: { modelsDirectory: { defaultValue: '', globalValue: f.userDir, workspaceValue: f.wsDir } },
  });
  const subs: Disposable[] = [];
  const lab = activateModelLab(stub.api, { createRuntime: () => new StubRuntime(), validateModel: async () => undefined, validateAdapter: async () => undefined, readInspectSource: async () => { throw new Error('unused'); }, catalog: () => STUB_CATALOG }, subs);
  await lab.ready;
  assert.deepEqual(lab.registry!.list().map((m) => m.name), ['Demo (built-in)', 'from-user-setting']);
  for (const s of subs) s.dispose();
});

test('without media/models/demo.gguf the view simply lacks the demo', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  const stub = createStubHostApi({ extensionPath: root });
  const subs: Disposable[] = [];
  const lab = activateModelLab(stub.api, { createRuntime: () => new StubRuntime(), validateModel: async () => undefined, validateAdapter: async () => undefined, readInspectSource: async () => { throw new Error('unused'); }, catalog: () => STUB_CATALOG }, subs);
  await lab.ready;
  assert.deepEqual(lab.registry!.list(), []);
  for (const s of subs) s.dispose();
});

test('a scanned file that is not GGUF is listed with the reason and kept out of the playground', async () => {
  const f = fixture();
  fs.writeFileSync(path.join(f.ws, 'junk.gguf'), 'nope');
  const stub = createStubHostApi({ extensionPath: f.ext, folders: [f.ws] });
  const subs: Disposable[] = [];
  const lab = activateModelLab(stub.api, { createRuntime: () => new StubRuntime(), validateModel: async () => undefined, validateAdapter: async () => undefined, readInspectSource: async () => { throw new Error('unused'); }, catalog: () => STUB_CATALOG }, subs);
  await lab.ready;
  const junk = lab.registry!.list().find((m) => m.name === 'junk')!;
  assert.equal(junk.problem, 'not a GGUF file');
  assert.equal(lab.registry!.list().find((m) => m.name === 'in-workspace')!.problem, undefined);
  const data = modelNodeData({ type: 'model', model: junk, loaded: false, children: [] });
  assert.equal(data.icon, 'warning');
  assert.match(data.description!, /not a GGUF file/);
  assert.ok(!playgroundModels(lab.registry!).some((m) => m.name === 'junk'));
  for (const s of subs) s.dispose();
});
