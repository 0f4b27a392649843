// `model-lab inspect` as a user runs it: a child process, stdout/stderr/exit code.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { GGUF_VALUE_TYPE as V, writeGguf } from '../../../src/engine/gguf/index.js';
import { writeTestModel } from '../../../src/engine/synth/index.js';

const root = path.resolve(import.meta.dirname, '../../..');
let dir: string;
let model: string;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  model = path.join(dir, 'model.gguf');
  await writeTestModel(model, { arch: 'qwen2', weightType: 'Q8_0', tiedOutput: true, nLayer: 3 });
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'inspect', ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--json prints one object with the agreed fields', () => {
  const r = cli(model, '--json');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 1);
  const j = JSON.parse(r.stdout);
  for (const k of ['architecture', 'spec', 'metadata', 'tensors', 'parameters', 'fileBytes']) assert.ok(k in j, k);
  assert.equal(j.architecture, 'qwen2');
  assert.equal(j.spec.nLayer, 3);
  assert.equal(j.spec.tiedOutput, true);
  assert.equal(j.fileBytes, fs.statSync(model).size);
  assert.deepEqual(j.metadata['tokenizer.ggml.tokens'], { type: 'STRING', length: j.spec.nVocab });
  assert.equal(j.metadata['qwen2.block_count'], 3);
  const q = j.tensors.find((t: { name: string }) => t.name === 'blk.2.attn_q.weight');
  assert.deepEqual({ ...q, offset: undefined }, { name: 'blk.2.attn_q.weight', type: 'Q8_0', shape: [64, 64], offset: undefined, bytes: (64 * 64 / 32) * 34 });
  // offsets are absolute: the bytes at each offset are that tensor's data (the bias vectors are F32)
  const bias = j.tensors.find((t: { name: string }) => t.name === 'blk.0.attn_k.bias');
  const raw = fs.readFileSync(model).subarray(bias.offset, bias.offset + bias.bytes);
  assert.ok(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length)).every((v) => Math.abs(v) < 1));
  assert.equal(j.parameters, j.tensors.reduce((a: number, t: { shape: number[] }) => a + t.shape.reduce((x, y) => x * y, 1), 0));
});

test('text output names the model, parameters, types and every tensor', () => {
  const r = cli(model);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /qwen2: 3 layers, n_embd 64/);
  assert.match(r.stdout, /Q8_0\s+\d+ tensors/);
  assert.match(r.stdout, /blk\.2\.ffn_down\.weight\s+Q8_0\s+128 × 64/);
});

test('arrays of up to 64 elements are printed whole; 64-bit values past 2^53 as strings', async () => {
  const f = path.join(dir, 'meta.gguf');
  await writeGguf(f, {
    metadata: [
      { key: 'small', type: V.ARRAY, elementType: V.INT32, value: Array.from({ length: 64 }, (_, i) => i) },
      { key: 'big', type: V.ARRAY, elementType: V.INT32, value: Array.from({ length: 65 }, (_, i) => i) },
      { key: 'u64', type: V.UINT64, value: 2n ** 60n + 1n },
    ],
    tensors: [],
  });
  const j = JSON.parse(cli(f, '--json').stdout);
  assert.equal(j.metadata.small.length, 64);
  assert.deepEqual(j.metadata.big, { type: 'INT32', length: 65 });
  assert.equal(j.metadata.u64, '1152921504606846977');
  assert.equal(j.spec, null);
  assert.equal(j.architecture, null);
});

test('an invalid file: one line on stderr, exit 1, nothing on stdout', () => {
  const bad = path.join(dir, 'bad.gguf');
  fs.writeFileSync(bad, fs.readFileSync(model).subarray(0, 5000));
  for (const file of [bad, path.join(dir, 'missing.gguf'), dir]) {
    const r = cli(file, '--json');
    assert.equal(r.status, 1, file);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /^model-lab inspect: /);
  }
});

test('usage errors exit 2', () => {
  assert.equal(cli().status, 2);
  assert.equal(cli(model, '--bogus').status, 2);
  assert.equal(cli(model, model).status, 2);
});
