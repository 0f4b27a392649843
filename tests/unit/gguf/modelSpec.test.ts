import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { AbortedError } from '../../../src/engine/errors.js';
import { GGUF_VALUE_TYPE as V, GgufFormatError, modelSpecFromGguf, parseGgufHeader, readGguf } from '../../../src/engine/gguf/index.js';
import { writeTestModel } from '../../../src/engine/synth/index.js';
import { craft, kvArr, kvF32, kvStr, kvU32 } from './craft.js';

test('per-layer FFN widths, explicit head size, defaults for optional keys', () => {
  const f = parseGgufHeader(craft({
    kvs: [
      kvStr('general.architecture', 'deci'), kvU32('deci.block_count', 3), kvU32('deci.embedding_length', 256),
      kvArr('deci.feed_forward_length', V.INT32, 3, (w, i) => w.i32([512, 0, 256][i])), kvU32('deci.attention.head_count', 8),
      // value_length too: deci is checked like llama, and llama.cpp asserts that key and value heads agree
      kvU32('deci.attention.key_length', 64), kvU32('deci.attention.value_length', 64), kvF32('deci.attention.layer_norm_rms_epsilon', 1e-6),
      kvStr('tokenizer.chat_template', '{{ messages }}'),
    ],
  }));
  const s = modelSpecFromGguf(f);
  assert.deepEqual(s.nFf, [512, 0, 256]);
  assert.equal(s.headDim, 64);
  assert.equal(s.nHeadKv, 8); // defaults to head_count
  assert.equal(s.ropeDims, 64); // defaults to the head size
  assert.equal(s.ropeBase, 10000);
  assert.equal(s.ropeType, 'norm');
  assert.equal(s.contextLength, 0);
  assert.equal(s.chatTemplate, '{{ messages }}');
  assert.equal(s.tokenizerModel, undefined);
  assert.ok(Math.abs(s.normEps - 1e-6) < 1e-12);
});

test('files that are not complete models are GGUF_NOT_A_MODEL', () => {
  const notModel = (kvs: Parameters<typeof craft>[0]['kvs']) => {
    assert.throws(() => modelSpecFromGguf(parseGgufHeader(craft({ kvs }))), (e: unknown) => e instanceof GgufFormatError && e.code === 'GGUF_NOT_A_MODEL');
  };
  notModel([]);
  notModel([kvStr('general.architecture', 'llama')]);
  notModel([kvStr('general.architecture', 'llama'), kvStr('general.type', 'adapter'), kvStr('adapter.type', 'lora'), kvF32('adapter.lora.alpha', 8)]);
});

test('tied output is read from the tensor list (no output.weight)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  try {
    for (const tied of [true, false]) {
      const file = path.join(dir, `m${tied}.gguf`);
      const info = await writeTestModel(file, { arch: 'qwen2', tiedOutput: tied, nLayer: 1 });
      const s = modelSpecFromGguf(await readGguf(file));
      assert.equal(s.tiedOutput, tied);
      assert.equal(s.nVocab, info.nVocab);
      assert.equal(s.ropeType, 'neox');
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('readGguf honours an aborted signal', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  try {
    const file = path.join(dir, 'm.gguf');
    await writeTestModel(file, { arch: 'llama', nLayer: 1 });
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(readGguf(file, { signal: ac.signal }), AbortedError);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
