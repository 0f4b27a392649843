// Cross-check with a peer parser: @huggingface/gguf reads the same metadata (values and stored types) and the same
// tensor list (names, shapes, types, offsets) from files we write.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { gguf } from '@huggingface/gguf';
import { GGUF_VALUE_TYPE as V, readGguf, writeGguf, type GgufValue } from '../../../src/engine/gguf/index.js';
import { writeTestModel, type TestModelOptions } from '../../../src/engine/synth/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** 64-bit integers compare as decimal strings (they parse them as bigint, we as number when safe) */
function norm(v: unknown): unknown {
  if (typeof v === 'bigint' || typeof v === 'number') return v.toString();
  if (Array.isArray(v)) return v.map(norm);
  return v;
}
const is64 = (t: number | undefined): boolean => t === V.UINT64 || t === V.INT64;

async function crossCheck(file: string): Promise<void> {
  const ours = await readGguf(file);
  const peer = await gguf(file, { allowLocalFile: true, typedMetadata: true });
  assert.equal(Number(peer.tensorDataOffset), ours.dataOffset);
  assert.equal(peer.metadata.version, ours.version);
  const peerKeys = Object.keys(peer.typedMetadata).filter((k) => !['version', 'tensor_count', 'kv_count'].includes(k));
  assert.deepEqual(peerKeys, Object.keys(ours.metadata));
  for (const key of peerKeys) {
    const p = peer.typedMetadata[key];
    const t = ours.metadataTypes[key];
    assert.equal(p.type, t.type, key);
    if (t.type === V.ARRAY) assert.equal(p.subType, t.elementType, key);
    const mine: GgufValue = ours.metadata[key];
    const wide = is64(t.type) || is64(t.elementType);
    assert.deepEqual(wide ? norm(p.value) : p.value, wide ? norm(mine) : mine, key);
  }
  assert.deepEqual(
    peer.tensorInfos.map((i) => ({ name: i.name, shape: i.shape.map(Number), type: i.dtype, offset: Number(i.offset) })),
    ours.tensors.map((t) => ({ name: t.name, shape: t.shape, type: t.type, offset: t.offset - ours.dataOffset })),
  );
}

const models: TestModelOptions[] = [
  { arch: 'llama', weightType: 'F16' },
  { arch: 'phi3', weightType: 'Q4_K', tiedOutput: true },
  { arch: 'qwen2', weightType: 'Q6_K', nHeadKv: 1 },
  { arch: 'llama', weightType: 'Q5_1', nLayer: 1 },
];
for (const opts of models) {
  test(`${opts.arch} ${opts.weightType}: @huggingface/gguf parses the same metadata and tensors`, async () => {
    const file = path.join(dir, `${opts.arch}-${opts.weightType}.gguf`);
    await writeTestModel(file, opts);
    await crossCheck(file);
  });
}

test('every scalar value type, 64-bit extremes, alignment 64: the same values', async () => {
  const file = path.join(dir, 'types.gguf');
  await writeGguf(file, {
    metadata: [
      { key: 'general.alignment', type: V.UINT32, value: 64 },
      { key: 'general.architecture', type: V.STRING, value: 'llama' },
      { key: 'u8', type: V.UINT8, value: 200 },
      { key: 'i8', type: V.INT8, value: -100 },
      { key: 'u16', type: V.UINT16, value: 60000 },
      { key: 'i16', type: V.INT16, value: -30000 },
      { key: 'i32', type: V.INT32, value: -7 },
      { key: 'f32', type: V.FLOAT32, value: 0.25 },
      { key: 'f64', type: V.FLOAT64, value: 1 / 3 },
      { key: 'bool', type: V.BOOL, value: false },
      { key: 'u64', type: V.UINT64, value: 2n ** 64n - 1n },
      { key: 'i64', type: V.INT64, value: -(2n ** 63n) },
      { key: 'small64', type: V.UINT64, value: 12 },
      { key: 'unicode', type: V.STRING, value: 'ñ 世界 🙂' },
      { key: 'floats', type: V.ARRAY, elementType: V.FLOAT32, value: [0.5, -1.5] },
      { key: 'u64s', type: V.ARRAY, elementType: V.UINT64, value: [1, 2n ** 60n] },
    ],
    tensors: [
      { name: 'a', type: 0, shape: [5, 3], data: new Uint8Array(60) },
      { name: 'b', type: 8, shape: [32, 2, 2], data: new Uint8Array(136) },
    ],
  }, { alignment: 64 });
  await crossCheck(file);
});
