import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createWasmBackend, KernelMemoryLimitError, type KernelBackend } from '../../../src/engine/kernels/index.js';
import { loadEngineModel } from '../../../src/engine/model/index.js';
import { GGML_TYPE } from '../../../src/engine/quant/index.js';
import { writeShapedModel } from './shapedModel.js';

// A 32-bit WebAssembly memory holds at most 4 GiB: the engine must refuse a model whose weights cannot fit there
// before it reads a single weight, with an error that says so. The file is a header that declares the tensors of
// a ~5 GB Q8_0 model on a sparse file of that length (no weights on disk).
test('a model whose weights exceed the 4 GiB kernel memory is refused before loading, with MODEL_TOO_LARGE', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  let backend: KernelBackend | undefined;
  try {
    const file = path.join(dir, 'big.gguf');
    const size = await writeShapedModel(file, { arch: 'llama', nEmbd: 4096, nLayer: 20, nFf: 14336, nHead: 32, nHeadKv: 8,
      nVocab: 32000, weightType: GGML_TYPE.Q8_0, data: 'declared' });
    assert.ok(size > 4.5 * 2 ** 30, `declared ${size} bytes`);
    backend = await createWasmBackend({ threads: 1 });
    const before = (backend as { memoryInUse?: number }).memoryInUse;
    const t0 = performance.now();
    await assert.rejects(loadEngineModel(file, { backend }), (e: unknown) => {
      assert.ok(e instanceof KernelMemoryLimitError, String(e));
      assert.equal(e.code, 'MODEL_TOO_LARGE');
      assert.match(e.message, /big\.gguf needs 4\.[4-9] GiB .* at most 4\.0 GiB .*more quantized/);
      assert.ok(!e.message.includes('\n'));
      return true;
    });
    // nothing was uploaded, and the refusal took a header read, not a pass over gigabytes
    assert.equal((backend as { memoryInUse?: number }).memoryInUse, before);
    assert.ok(performance.now() - t0 < 30_000);
    assert.ok(backend.memoryLimit! <= 4 * 2 ** 30);
  } finally {
    backend?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
