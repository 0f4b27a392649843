import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  GGUF_VALUE_TYPE as V,
  GgufFormatError,
  GgufWriter,
  memorySink,
  modelSpecFromGguf,
  parseGgufHeader,
  readGguf,
  readTensorBytes,
  writeGguf,
} from '../../../src/engine/gguf/index.js';
import { GGML_TYPE } from '../../../src/engine/quant/index.js';
import { writeTestModel } from '../../../src/engine/synth/index.js';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
}

test('header bytes follow the GGUF layout exactly', async () => {
  const sink = memorySink();
  const w = new GgufWriter(sink, { alignment: 32 });
  w.addMetadata('a', V.UINT8, 7);
  w.addTensorInfo('t', GGML_TYPE.F32, [2]);
  await w.writeHeader();
  await w.writeTensorData(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
  await w.close();
  const b = Buffer.from(sink.bytes());
  const expected = Buffer.concat([
    Buffer.from('GGUF'),
    Buffer.from([3, 0, 0, 0]), // version 3
    Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]), // tensor count
    Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]), // kv count
    Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('a'), Buffer.from([0, 0, 0, 0]), Buffer.from([7]), // 'a' = u8 7
    Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('t'), // name
    Buffer.from([1, 0, 0, 0]), Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), // 1 dim, ne0 = 2
    Buffer.from([0, 0, 0, 0]), Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]), // F32, offset 0
  ]);
  assert.equal(expected.length, 71);
  assert.deepEqual(b.subarray(0, 71), expected);
  assert.deepEqual(b.subarray(71, 96), Buffer.alloc(25)); // padding to 96
  assert.deepEqual(b.subarray(96, 104), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
  assert.equal(b.length, 128); // the last tensor is padded too
});

test('writer refuses calls out of order and wrong data sizes', async () => {
  const w = new GgufWriter(memorySink());
  w.addMetadata('k', V.STRING, 'v');
  w.addTensorInfo('t', GGML_TYPE.F32, [4]);
  assert.throws(() => w.addMetadata('k2', V.UINT32, 1), /not allowed/);
  await assert.rejects(w.writeTensorData(new Uint8Array(16)), /not allowed/);
  await w.writeHeader();
  assert.throws(() => w.addTensorInfo('u', GGML_TYPE.F32, [4]), /not allowed/);
  await assert.rejects(w.writeTensorData(new Uint8Array(12)), /expected 16/);
  const w2 = new GgufWriter(memorySink());
  w2.addTensorInfo('t', GGML_TYPE.Q8_0, [32, 2]);
  assert.throws(() => w2.addTensorInfo('t', GGML_TYPE.F32, [1]), /twice/);
  assert.throws(() => w2.addTensorInfo('q', GGML_TYPE.Q8_0, [31]), /blocks/);
  assert.throws(() => w2.addTensorInfo('x'.repeat(64), GGML_TYPE.F32, [1]), /63 bytes/);
  assert.throws(() => w2.addTensorInfo('z', GGML_TYPE.F32, [1, 1, 1, 1, 1]), /bad shape/);
  await w2.writeHeader();
  await assert.rejects(w2.close(), /0 of 1/);
});

test('all metadata value types read back as written, including nested arrays', async () => {
  const sink = memorySink();
  const w = new GgufWriter(sink, { alignment: 64 });
  w.addMetadata('general.alignment', V.UINT32, 64);
  w.addMetadata('u8', V.UINT8, 255).addMetadata('i8', V.INT8, -128).addMetadata('u16', V.UINT16, 65535);
  w.addMetadata('i16', V.INT16, -32768).addMetadata('u32', V.UINT32, 4294967295).addMetadata('i32', V.INT32, -2147483648);
  w.addMetadata('f32', V.FLOAT32, 0.5).addMetadata('f64', V.FLOAT64, Math.PI).addMetadata('bool', V.BOOL, true);
  w.addMetadata('u64', V.UINT64, 2n ** 64n - 1n).addMetadata('i64', V.INT64, -5).addMetadata('str', V.STRING, 'héllo ▁世界');
  w.addMetadata('arr', V.ARRAY, [1, 2, 3], V.INT32).addMetadata('strs', V.ARRAY, ['a', '', 'c'], V.STRING);
  w.addMetadata('nested', V.ARRAY, [['x', 'y'], ['z']], V.ARRAY).addMetadata('empty', V.ARRAY, [], V.FLOAT32);
  w.addTensorInfo('t', GGML_TYPE.F16, [8, 2, 1, 1]);
  await w.writeHeader();
  await w.writeTensorData(new Uint8Array(32));
  await w.close();
  const f = parseGgufHeader(sink.bytes());
  assert.equal(f.alignment, 64);
  assert.equal(f.dataOffset % 64, 0);
  assert.deepEqual({ ...f.metadata }, {
    'general.alignment': 64, u8: 255, i8: -128, u16: 65535, i16: -32768, u32: 4294967295, i32: -2147483648, f32: 0.5,
    f64: Math.PI, bool: true, u64: 2n ** 64n - 1n, i64: -5, str: 'héllo ▁世界', arr: [1, 2, 3], strs: ['a', '', 'c'],
    nested: [['x', 'y'], ['z']], empty: [],
  });
  assert.deepEqual(f.metadataTypes.nested, { type: V.ARRAY, elementType: V.ARRAY, element: { type: V.ARRAY, elementType: V.STRING } });
  assert.deepEqual(f.tensors, [{ name: 't', type: 1, typeName: 'F16', shape: [8, 2, 1, 1], elements: 16, offset: f.dataOffset, bytes: 32 }]);
});

test('streamed tensor data in odd chunks lands at aligned offsets and reads back lazily', async () => {
  const dir = tmp();
  try {
    const file = path.join(dir, 'a.gguf');
    const big = new Uint8Array(3 * 1024 * 1024 + 12).map((_, i) => (i * 7) & 255);
    async function* chunks(): AsyncIterable<Uint8Array> {
      for (let i = 0; i < big.length; i += 100_003) yield big.subarray(i, i + 100_003);
    }
    await writeGguf(file, {
      metadata: [{ key: 'general.architecture', type: V.STRING, value: 'none' }],
      tensors: [
        { name: 'small', type: GGML_TYPE.F32, shape: [3], data: new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]) },
        { name: 'big', type: GGML_TYPE.F32, shape: [big.length / 4], data: chunks },
      ],
    });
    const f = await readGguf(file);
    assert.equal(f.tensors[1].offset % 32, 0);
    assert.equal(f.tensors[1].offset, f.dataOffset + 32);
    assert.deepEqual(await readTensorBytes(f, 'big'), big);
    assert.deepEqual(await readTensorBytes(f, f.tensors[0]), new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('writeTestModel is deterministic per seed and its spec matches the options', async () => {
  const dir = tmp();
  try {
    const a = path.join(dir, 'a.gguf');
    const b = path.join(dir, 'b.gguf');
    const c = path.join(dir, 'c.gguf');
    await writeTestModel(a, { arch: 'phi3', seed: 5, nEmbd: 96, nHead: 6, nHeadKv: 2, nFf: 160, nLayer: 3 });
    await writeTestModel(b, { arch: 'phi3', seed: 5, nEmbd: 96, nHead: 6, nHeadKv: 2, nFf: 160, nLayer: 3 });
    await writeTestModel(c, { arch: 'phi3', seed: 6, nEmbd: 96, nHead: 6, nHeadKv: 2, nFf: 160, nLayer: 3 });
    assert.deepEqual(fs.readFileSync(a), fs.readFileSync(b));
    assert.notDeepEqual(fs.readFileSync(a), fs.readFileSync(c));
    const f = await readGguf(a);
    const spec = modelSpecFromGguf(f);
    assert.deepEqual(
      { ...spec, normEps: Math.round(spec.normEps * 1e9) / 1e9 },
      { architecture: 'phi3', nEmbd: 96, nLayer: 3, nHead: 6, nHeadKv: 2, nFf: 160, nVocab: f.metadata['tokenizer.ggml.tokens'] instanceof Array ? (f.metadata['tokenizer.ggml.tokens'] as string[]).length : -1,
        contextLength: 256, ropeType: 'neox', ropeBase: 10000, ropeDims: 16, normEps: 1e-5, tiedOutput: false, headDim: 16, tokenizerModel: 'llama' },
    );
    const shapes = Object.fromEntries(f.tensors.map((t) => [t.name, t.shape]));
    assert.deepEqual(shapes['blk.0.attn_qkv.weight'], [96, 96 + 2 * 32]);
    assert.deepEqual(shapes['blk.2.ffn_up.weight'], [96, 320]);
    assert.deepEqual(shapes['blk.2.ffn_down.weight'], [160, 96]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a file that is not GGUF is a GgufFormatError with an offset', () => {
  const err = (() => {
    try {
      parseGgufHeader(new TextEncoder().encode('PK\u0003\u0004 not a model at all'));
    } catch (e) {
      return e;
    }
  })();
  assert.ok(err instanceof GgufFormatError);
  assert.equal(err.code, 'GGUF_BAD_MAGIC');
  assert.equal(err.offset, 0);
});
