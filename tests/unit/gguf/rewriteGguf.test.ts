// The streaming rewriter: an untouched rewrite is byte-identical; transforms slice rows in their stored bytes,
// change metadata, drop and add tensors; the output is written atomically and never over the source.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { GGUF_VALUE_TYPE as V, readGguf, readTensorBytes } from '../../../src/engine/gguf/index.js';
import { rewriteGguf } from '../../../src/engine/gguf/rewriteGguf.js';
import { dequantize, quantize } from '../../../src/engine/quant/index.js';
import { writeTestModel } from '../../../src/engine/synth/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const leftovers = (): string[] => fs.readdirSync(dir).filter((f) => f.endsWith('.partial'));

for (const weightType of ['F16', 'Q4_K'] as const) {
  test(`${weightType}: a rewrite without changes is byte-identical, whatever the chunk size`, async () => {
    const src = path.join(dir, `copy-src-${weightType}.gguf`);
    await writeTestModel(src, { arch: 'phi3', weightType });
    for (const chunkBytes of [1000, 4 << 20]) {
      const out = path.join(dir, `copy-${weightType}-${chunkBytes}.gguf`);
      const r = await rewriteGguf(src, out, {}, { chunkBytes });
      assert.ok(fs.readFileSync(src).equals(fs.readFileSync(out)));
      assert.equal(r.bytesOut, r.bytesIn);
      assert.equal(r.produced, 0);
      assert.equal(r.copied, r.file.tensors.length);
    }
  });
}

test('rows in stored bytes, rows as F32, metadata, dropped and added tensors; progress reaches 1', async () => {
  const src = path.join(dir, 'q8.gguf');
  await writeTestModel(src, { arch: 'llama', weightType: 'Q8_0', nEmbd: 64, nFf: 128 });
  const before = fs.readFileSync(src);
  const out = path.join(dir, 'sliced.gguf');
  const keep = [5, 6, 7, 40, 99, 3];
  const progress: number[] = [];
  await rewriteGguf(src, out, {
    metadata: (es) => [...es.filter((e) => e.key !== 'general.name'), { key: 'test.note', type: V.STRING, value: 'sliced' }],
    tensor: (t) => {
      if (t.name === 'blk.0.ffn_up.weight') return [{ name: t.name, type: t.type, shape: [64, keep.length], data: (s) => s.rows(t, keep) }];
      if (t.name === 'blk.1.attn_norm.weight') return [];
      if (t.name === 'blk.0.ffn_gate.weight') {
        // a producer that reads F32 rows a few at a time and writes them doubled as F32
        return [{ name: 'blk.0.ffn_gate.weight', type: 0, shape: t.shape, data: async function* (s) {
          for await (const { values } of s.rowsF32(t, 0, undefined, 7)) yield quantize(0, values.map((v) => 2 * v));
        } }];
      }
      return undefined;
    },
    extraTensors: [{ name: 'extra.bias', type: 0, shape: [4], data: () => quantize(0, Float32Array.of(1, 2, 3, 4)) }],
  }, { chunkBytes: 256, onProgress: (f) => progress.push(f) });
  assert.ok(fs.readFileSync(src).equals(before), 'the source is unchanged');
  const a = await readGguf(src), b = await readGguf(out);
  assert.equal(b.metadata['test.note'], 'sliced');
  assert.ok(!('general.name' in b.metadata));
  assert.ok(!b.tensors.some((t) => t.name === 'blk.1.attn_norm.weight'));
  assert.equal(b.tensors.at(-1)!.name, 'extra.bias');
  assert.deepEqual(Array.from(dequantize(0, await readTensorBytes(b, 'extra.bias'), 4)), [1, 2, 3, 4]);
  const rb = 64 / 32 * 34;
  const upA = await readTensorBytes(a, 'blk.0.ffn_up.weight'), upB = await readTensorBytes(b, 'blk.0.ffn_up.weight');
  keep.forEach((r, k) => assert.ok(Buffer.from(upB.subarray(k * rb, (k + 1) * rb)).equals(upA.subarray(r * rb, (r + 1) * rb)), `row ${r}`));
  const gA = dequantize(8, await readTensorBytes(a, 'blk.0.ffn_gate.weight'), 64 * 128);
  const gB = dequantize(0, await readTensorBytes(b, 'blk.0.ffn_gate.weight'), 64 * 128);
  assert.deepEqual(gB, gA.map((v) => 2 * v));
  assert.equal(progress.at(-1), 1);
  assert.ok(progress.every((f, i) => i === 0 || f >= progress[i - 1]));
  assert.deepEqual(leftovers(), []);
});

test('refuses the source as output (same path, a symlink, a hard link) and leaves it unchanged', async () => {
  const src = path.join(dir, 'self.gguf');
  await writeTestModel(src, { arch: 'llama' });
  const before = fs.readFileSync(src);
  fs.symlinkSync(src, path.join(dir, 'self-link.gguf'));
  fs.linkSync(src, path.join(dir, 'self-hard.gguf'));
  for (const out of [src, path.join(dir, '.', 'self.gguf'), path.join(dir, 'self-link.gguf'), path.join(dir, 'self-hard.gguf')]) {
    await assert.rejects(rewriteGguf(src, out, {}), (e: Error & { code?: string }) => e.code === 'GGUF_OUT_IS_SOURCE', out);
  }
  assert.ok(fs.readFileSync(src).equals(before));
});

test('a failing producer or a cancel leaves no output and no partial file; an existing output stays as it was', async () => {
  const src = path.join(dir, 'fail.gguf');
  await writeTestModel(src, { arch: 'llama' });
  const out = path.join(dir, 'fail-out.gguf');
  fs.writeFileSync(out, 'previous');
  await assert.rejects(rewriteGguf(src, out, {
    tensor: (t) => (t.name === 'blk.1.ffn_down.weight' ? [{ name: t.name, type: t.type, shape: t.shape, data: () => new Uint8Array(3) }] : undefined),
  }), /got 3 bytes/);
  assert.equal(fs.readFileSync(out, 'utf8'), 'previous');
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(rewriteGguf(src, path.join(dir, 'cancelled.gguf'), {}, { signal: ac.signal }), (e: Error & { code?: string }) => e.code === 'ABORTED');
  assert.ok(!fs.existsSync(path.join(dir, 'cancelled.gguf')));
  assert.deepEqual(leftovers(), []);
});

test('a plan that names a tensor without data that the source lacks is refused before anything is written', async () => {
  const src = path.join(dir, 'plan.gguf');
  await writeTestModel(src, { arch: 'llama' });
  const out = path.join(dir, 'plan-out.gguf');
  await assert.rejects(rewriteGguf(src, out, { extraTensors: [{ name: 'nope', type: 0, shape: [4] }] }), (e: Error & { code?: string }) => e.code === 'GGUF_REWRITE_BAD_PLAN');
  assert.ok(!fs.existsSync(out));
});
