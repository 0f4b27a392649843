// Where a command writes its model with --out: never over the model it reads, and a failed run removes only what
// it wrote itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openVariantOutput } from '../../../src/cli/variantOutput.js';

test('--out equal to the parent model is refused; a failed run keeps a file that was there and removes one it made', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  try {
    const model = path.join(dir, 'model.gguf');
    fs.writeFileSync(model, 'the user model');
    const spec = { kind: 'adapter' as const, method: 'dpo', parent: { file: model } };
    await assert.rejects(openVariantOutput({ out: model }, spec), (e: Error & { code?: string }) => e.code === 'GGUF_OUT_IS_SOURCE');
    await assert.rejects(openVariantOutput({ out: path.join(dir, '.', 'model.gguf') }, spec), (e: Error & { code?: string }) => e.code === 'GGUF_OUT_IS_SOURCE');
    assert.equal(fs.readFileSync(model, 'utf8'), 'the user model');

    const kept = path.join(dir, 'old-adapter.gguf');
    fs.writeFileSync(kept, 'an adapter from yesterday');
    await (await openVariantOutput({ out: kept }, spec)).abandon();
    assert.equal(fs.readFileSync(kept, 'utf8'), 'an adapter from yesterday');

    const fresh = path.join(dir, 'new', 'adapter.gguf');
    const out = await openVariantOutput({ out: fresh }, spec);
    fs.writeFileSync(out.file, 'half written');
    await out.abandon();
    assert.equal(fs.existsSync(fresh), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
