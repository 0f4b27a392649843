import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatStatus } from '../../../src/host/status/StatusBarController.js';
import { activateModelLab } from '../../../src/host/activate/activateModelLab.js';
import type { Disposable } from '../../../src/host/vscodeApi/HostApi.js';
import { createStubHostApi, waitFor } from './stubHostApi.js';
import { STUB_CATALOG, StubRuntime } from './stubRuntime.js';

const info = (o: Partial<{ backend: string; gpuLayers: number | null; totalLayers: number | null; memoryBytes: number | null }>) => ({
  handle: 'h', path: '/m/x.gguf', backend: 'cuda', gpuLayers: 33, totalLayers: 33, memoryBytes: 2.4 * 1024 ** 3, ...o,
});

test('status text: model · backend · offloaded layers · memory; CPU shows no layer count', () => {
  assert.equal(formatStatus([]), null);
  assert.equal(formatStatus([{ modelId: 'a', name: 'Phi-3', info: info({}) }])!.text, '$(chip) Phi-3 · CUDA · 33/33 layers · 2.40 GB');
  assert.equal(formatStatus([{ modelId: 'a', name: 'Phi-3', info: info({ backend: 'vulkan', gpuLayers: 20 }) }])!.text, '$(chip) Phi-3 · Vulkan · 20/33 layers · 2.40 GB');
  assert.equal(formatStatus([{ modelId: 'a', name: 'tiny', info: info({ backend: 'cpu', gpuLayers: 0, memoryBytes: 553 * 1024 }) }])!.text, '$(chip) tiny · CPU · 553 KB');
  const two = formatStatus([
    { modelId: 'a', name: 'A', info: info({ backend: 'metal' }) },
    { modelId: 'b', name: 'B', info: info({ memoryBytes: null }) },
  ])!;
  assert.equal(two.text, '$(chip) A · Metal · 33/33 layers · 2.40 GB (+1)');
  assert.match(two.tooltip, /B\n {2}file: \/m\/x\.gguf\n {2}backend: CUDA\n {2}GPU layers: 33 of 33\n {2}memory: unknown/);
});

test('a load that fell back to the CPU warns the user and the tooltip says why', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  const model = path.join(dir, 'm.gguf');
  fs.writeFileSync(model, 'GGUF');
  const stub = createStubHostApi({ extensionPath: dir });
  const rt = new StubRuntime();
  rt.fallback = 'CUDA is not available on this machine';
  const subs: Disposable[] = [];
  activateModelLab(stub.api, { createRuntime: () => rt, validateModel: async () => undefined, validateAdapter: async () => undefined, readInspectSource: async () => { throw new Error('unused'); }, catalog: () => STUB_CATALOG }, subs);
  await stub.commands.get('modelLab.loadModel')!(model);
  await waitFor(() => stub.shown.some((s) => s.level === 'warning'), 'the warning');
  assert.ok(stub.shown.some((s) => s.level === 'warning' && s.text === 'Model Lab: m runs on the CPU: CUDA is not available on this machine'));
  assert.equal(stub.statusItems[0].text, '$(chip) m · CPU · 3.00 MB');
  assert.match(stub.statusItems[0].tooltip, /GPU fallback: CUDA is not available on this machine/);
  for (const s of subs) s.dispose();
});
