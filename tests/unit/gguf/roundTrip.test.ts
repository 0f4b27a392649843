// Read → write back unchanged is byte-identical; readGguf reads only the header, in growing chunks.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import {
  GGUF_VALUE_TYPE as V,
  GgufTensorReader,
  GgufWriter,
  metadataEntries,
  readGguf,
  readTensorBytes,
  tensorDataStream,
  writeGguf,
  type GgufFile,
} from '../../../src/engine/gguf/index.js';
import { writeTestModel } from '../../../src/engine/synth/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function rewrite(file: GgufFile, out: string): Promise<void> {
  const w = await GgufWriter.open(out, { alignment: file.alignment, version: file.version });
  for (const e of metadataEntries(file)) w.addMetadata(e.key, e.type, e.value, e.elementType, e.element);
  for (const t of file.tensors) w.addTensorInfo(t.name, t.type, t.shape);
  await w.writeHeader();
  for (const t of file.tensors) await w.writeTensorData(() => tensorDataStream(file, t, { chunkBytes: 1000 }));
  await w.close();
}

for (const arch of ['llama', 'phi3', 'qwen2'] as const) {
  test(`${arch} test model: read → write is byte-identical`, async () => {
    const a = path.join(dir, `${arch}.gguf`);
    const b = path.join(dir, `${arch}-copy.gguf`);
    await writeTestModel(a, { arch, weightType: 'F16', tiedOutput: arch === 'qwen2' });
    await rewrite(await readGguf(a), b);
    assert.ok(fs.readFileSync(a).equals(fs.readFileSync(b)));
  });
}

test('every value type, version 2, alignment 128: read → write is byte-identical', async () => {
  const a = path.join(dir, 'types.gguf');
  const b = path.join(dir, 'types-copy.gguf');
  await writeGguf(
    a,
    {
      metadata: [
        { key: 'general.alignment', type: V.UINT32, value: 128 },
        { key: 'f', type: V.FLOAT32, value: 0.1 },
        { key: 'd', type: V.FLOAT64, value: -1e300 },
        { key: 'big', type: V.UINT64, value: 2n ** 63n + 5n },
        { key: 'neg', type: V.INT64, value: -(2n ** 62n) },
        { key: 'b', type: V.ARRAY, elementType: V.BOOL, value: [true, false] },
        { key: 'n', type: V.ARRAY, elementType: V.ARRAY, value: [[1, 2], [3]] },
        { key: 'n8', type: V.ARRAY, elementType: V.ARRAY, element: { type: V.ARRAY, elementType: V.UINT8 }, value: [[1, 2], [3]] },
        { key: 'i16', type: V.ARRAY, elementType: V.INT16, value: [-1, 2] },
      ],
      tensors: [
        { name: 'x', type: 0, shape: [3, 1], data: new Uint8Array(12).fill(7) },
        { name: 'y', type: 8, shape: [64], data: new Uint8Array(68).fill(1) },
      ],
    },
    { alignment: 128, version: 2 },
  );
  const f = await readGguf(a);
  assert.equal(f.version, 2);
  assert.equal(f.tensors[1].offset - f.tensors[0].offset, 128);
  await rewrite(f, b);
  assert.ok(fs.readFileSync(a).equals(fs.readFileSync(b)));
});

test('a header larger than the first read chunk (a 150k-token vocabulary) parses', async () => {
  const a = path.join(dir, 'vocab.gguf');
  const tokens = Array.from({ length: 150_000 }, (_, i) => `token-${i}-${'x'.repeat(i % 13)}`);
  await writeGguf(a, {
    metadata: [
      { key: 'tokenizer.ggml.tokens', type: V.ARRAY, elementType: V.STRING, value: tokens },
      { key: 'tokenizer.ggml.scores', type: V.ARRAY, elementType: V.FLOAT32, value: tokens.map((_, i) => -i) },
    ],
    tensors: [{ name: 'last', type: 0, shape: [4], data: new Uint8Array([0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64]) }],
  });
  const f = await readGguf(a);
  assert.ok(f.dataOffset > 2 << 20, `header is ${f.dataOffset} bytes`);
  assert.equal((f.metadata['tokenizer.ggml.tokens'] as string[])[149_999], tokens[149_999]);
  const bytes = await readTensorBytes(f, 'last');
  assert.deepEqual([...new Float32Array(bytes.buffer)], [1, 2, 3, 4]);
});

test('a 3 GB (sparse) model file: the header is read without touching the tensor data', async () => {
  const a = path.join(dir, 'sparse.gguf');
  // build the header for one 3 GB tensor with the writer, then extend the file sparsely instead of writing data
  const w = new GgufWriter({ write: async (c) => void fs.appendFileSync(a + '.h', c), close: async () => {} });
  w.addMetadata('general.architecture', V.STRING, 'llama');
  w.addTensorInfo('huge.weight', 0, [3 * 2 ** 28]);
  await w.writeHeader();
  fs.renameSync(a + '.h', a);
  const size = fs.statSync(a).size + 3 * 2 ** 30;
  fs.truncateSync(a, size);
  const rssBefore = process.memoryUsage().rss;
  const f = await readGguf(a);
  assert.equal(f.fileBytes, size);
  assert.equal(f.tensors[0].bytes, 3 * 2 ** 30);
  assert.ok(process.memoryUsage().rss - rssBefore < 200 << 20, 'did not read the data');
});

test('GgufTensorReader reads every tensor through one handle, equal to readTensorBytes', async () => {
  const a = path.join(dir, 'reader.gguf');
  await writeTestModel(a, { arch: 'llama', nLayer: 1, weightType: 'Q8_0' });
  const f = await readGguf(a);
  const r = await GgufTensorReader.open(f);
  try {
    for (const t of f.tensors) assert.deepEqual(await r.read(t.name), await readTensorBytes(f, t));
    const bytes = fs.readFileSync(a);
    const t = f.tensors[3];
    assert.deepEqual(await r.read(t), new Uint8Array(bytes.subarray(t.offset, t.offset + t.bytes)));
    await assert.rejects(r.read('missing.weight'), RangeError);
  } finally {
    await r.close();
  }
  await assert.rejects(r.read(f.tensors[0]), /closed/);
});
