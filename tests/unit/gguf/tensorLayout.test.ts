// The tensor layout table is the one description of each architecture: the test-model writer writes exactly its
// tensors, deci's per-layer FFN widths reach the spec and the engine, and validation knows what llama.cpp makes of
// deci widths (0 in the last layer aborts it; 0 elsewhere drops the whole layer; unequal llama widths are refused).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { GGUF_VALUE_TYPE as V, GgufFormatError, modelSpecFromGguf, parseGgufHeader, readGguf } from '../../../src/engine/gguf/index.js';
import { ARCH_LAYOUTS, ffnWidths, LAYOUT_ARCHS, layerTensors, modelTensors } from '../../../src/engine/gguf/tensorLayout.js';
import { loadEngineModel } from '../../../src/engine/model/index.js';
import { writeTestModel } from '../../../src/engine/synth/index.js';
import { craft, kvArr, kvStr, kvU32 } from './craft.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-layout-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const dims = { nEmbd: 64, nVocab: 100, nHead: 4, nHeadKv: 2, headDim: 16, tiedOutput: false };

test('layouts: phi3 fuses attn_qkv and gate|up, qwen2 has q/k/v biases, a deci layer of width 0 has no FFN tensors', () => {
  const names = (arch: keyof typeof ARCH_LAYOUTS, ffn: number[], il = 0) =>
    layerTensors(ARCH_LAYOUTS[arch], { ...dims, ffn }, il).map((t) => `${t.base}[${t.cols},${t.rows}]${t.bias ? '+b' : ''}`);
  assert.deepEqual(names('phi3', [96]), ['blk.0.attn_norm[64,1]', 'blk.0.attn_qkv[64,128]', 'blk.0.attn_output[64,64]',
    'blk.0.ffn_norm[64,1]', 'blk.0.ffn_up[64,192]', 'blk.0.ffn_down[96,64]']);
  assert.deepEqual(names('qwen2', [96]).slice(1, 4), ['blk.0.attn_q[64,64]+b', 'blk.0.attn_k[64,32]+b', 'blk.0.attn_v[64,32]+b']);
  assert.deepEqual(names('deci', [96, 0], 1), ['blk.1.attn_norm[64,1]', 'blk.1.attn_q[64,64]', 'blk.1.attn_k[64,32]',
    'blk.1.attn_v[64,32]', 'blk.1.attn_output[64,64]']);
  assert.deepEqual(names('deci', [96, 0], 0), names('llama', [96], 0));
  assert.equal(ARCH_LAYOUTS.deci.ropeType, 'norm');
  assert.deepEqual(ffnWidths(32, 3), [32, 32, 32]);
});

for (const arch of LAYOUT_ARCHS) {
  test(`${arch}: writeTestModel writes exactly the table's tensors, and the engine loads them`, async () => {
    const ffn = arch === 'deci' ? [64, 0, 96] : [128, 128, 128];
    const file = path.join(dir, `${arch}.gguf`);
    const info = await writeTestModel(file, { arch, nEmbd: 64, nHead: 4, nHeadKv: 2, nFf: arch === 'deci' ? ffn : 128, nLayer: 3, seed: 2 });
    const f = await readGguf(file);
    const spec = modelSpecFromGguf(f);
    assert.deepEqual(ffnWidths(spec.nFf, spec.nLayer), ffn);
    const want = modelTensors(ARCH_LAYOUTS[arch], { ...dims, nVocab: info.nVocab, ffn }).flatMap((t) => [
      `${t.base}.weight ${t.kind === 'norm' ? t.cols : `${t.cols}x${t.rows}`}`, ...(t.bias ? [`${t.base}.bias ${t.rows}`] : []),
    ]);
    assert.deepEqual(f.tensors.map((t) => `${t.name} ${t.shape.join('x')}`), want);
    const model = await loadEngineModel(file);
    try {
      assert.deepEqual(model.ffnWidths, ffn);
      assert.equal(model.spec.ropeType, ARCH_LAYOUTS[arch].ropeType);
      if (arch === 'deci') assert.throws(() => model.nFf, /different FFN width per layer/);
      else assert.equal(model.nFf, 128);
    } finally {
      model.dispose();
    }
  });
}

function header(arch: string, widths: number[]): ReturnType<typeof parseGgufHeader> {
  return parseGgufHeader(craft({ kvs: [
    kvStr('general.architecture', arch), kvU32(`${arch}.block_count`, widths.length), kvU32(`${arch}.embedding_length`, 64),
    kvU32(`${arch}.attention.head_count`, 4), kvArr(`${arch}.feed_forward_length`, V.INT32, widths.length, (w, i) => w.i32(widths[i])),
  ] }));
}

test('validation: per-layer widths as llama.cpp builds them', () => {
  assert.deepEqual(header('deci', [64, 32, 96]).warnings, []);
  assert.match(header('deci', [64, 0, 96]).warnings.join('\n'), /width 0: llama\.cpp passes such a deci layer's input through unchanged, attention included/);
  assert.throws(() => header('deci', [64, 32, 0]), (e: unknown) => e instanceof GgufFormatError && e.code === 'GGUF_BAD_HYPERPARAMETER' && /last layer/.test(e.message));
  assert.match(header('llama', [64, 32, 96]).warnings.join('\n'), /differs between layers/);
  assert.throws(() => header('llama', [64, 0, 96]), (e: unknown) => e instanceof GgufFormatError && e.code === 'GGUF_BAD_HYPERPARAMETER');
  // deci head counts per layer with zeros (attention-free layers) are what llama.cpp builds, not a crash
  const heads = parseGgufHeader(craft({ kvs: [
    kvStr('general.architecture', 'deci'), kvU32('deci.block_count', 2), kvU32('deci.embedding_length', 64),
    kvArr('deci.attention.head_count', V.INT32, 2, (w, i) => w.i32([4, 0][i])), kvArr('deci.feed_forward_length', V.INT32, 2, (w, i) => w.i32([64, 96][i])),
  ] }));
  assert.deepEqual(heads.warnings, []);
});

test('the engine refuses deci head counts that differ per layer, with a message that names the key', async () => {
  // a real deci file with head_count rewritten as a per-layer array
  const file = path.join(dir, 'heads.gguf');
  await writeTestModel(file, { arch: 'deci', nEmbd: 64, nHead: 4, nHeadKv: 2, nFf: [64, 64], seed: 1 });
  const { metadataEntries, tensorDataStream, writeGguf } = await import('../../../src/engine/gguf/index.js');
  const src = await readGguf(file);
  const metadata = metadataEntries(src).map((e) => (e.key === 'deci.attention.head_count'
    ? { key: e.key, type: V.ARRAY, elementType: V.INT32, value: [4, 8] } : e));
  const out = path.join(dir, 'heads2.gguf');
  await writeGguf(out, { metadata, tensors: src.tensors.map((t) => ({ name: t.name, type: t.type, shape: [...t.shape], data: () => tensorDataStream(src, t) })) });
  await assert.rejects(loadEngineModel(out), (e: Error & { code?: string }) => e.code === 'ENGINE_UNSUPPORTED_ARCH' && /head_count differs between layers/.test(e.message));
});
