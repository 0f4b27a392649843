import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeTestModel } from '../../../src/engine/synth/index.js';
import { checkAdapterFile, checkModelFile, readInspectSource } from '../../../src/host/engineAccess/checkGgufFile.js';
import { InspectPanel } from '../../../src/host/inspect/InspectPanel.js';
import { FakePanel, waitFor } from './stubHostApi.js';

async function tinyModel(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  const p = path.join(dir, 'tiny.gguf');
  await writeTestModel(p, { arch: 'llama', nEmbd: 64, nLayer: 2, nHead: 4, nHeadKv: 2, nFf: 128, seed: 3 });
  return p;
}

test('Inspect panel: a generated model shows its card, tensors, quant mix, and answers the memory estimate', async () => {
  const file = await tinyModel();
  const panel = new FakePanel();
  const log: string[] = [];
  new InspectPanel(file, panel, readInspectSource, (l) => log.push(l));
  panel.send({ kind: 'notification', method: 'webview/ready', params: {} });
  await waitFor(() => panel.posted.length > 0, 'the model');
  const [m] = panel.notifications('inspect/model');
  assert.ok(m, `no model posted; log: ${log.join(' | ')}`);
  assert.equal(m.architecture, 'llama');
  assert.deepEqual([m.spec.nLayer, m.spec.nHead, m.spec.nHeadKv, m.spec.headDim, m.spec.nEmbd], [2, 4, 2, 16, 64]);
  assert.equal(m.fileBytes, fs.statSync(file).size);
  const names = m.tensors.map((t: any) => t.name);
  assert.ok(names.includes('blk.1.ffn_down.weight') && names.includes('token_embd.weight'));
  const down = m.tensors.find((t: any) => t.name === 'blk.1.ffn_down.weight');
  assert.deepEqual([down.shape, down.layer], [[128, 64], 1]);
  assert.equal(m.parameters, m.tensors.reduce((a: number, t: any) => a + t.elements, 0));
  const mixBytes = m.quantMix.reduce((a: number, q: any) => a + q.bytes, 0);
  assert.equal(mixBytes, m.tensors.reduce((a: number, t: any) => a + t.bytes, 0));
  assert.ok(Math.abs(m.quantMix.reduce((a: number, q: any) => a + q.fraction, 0) - 1) < 1e-9);
  assert.equal(m.tokenizer.tokens, m.spec.nVocab);

  panel.send({ kind: 'request', id: 1, method: 'inspect/estimate', params: { contextSize: 100, gpuLayers: 0 } });
  await waitFor(() => panel.response(1), 'the estimate');
  const e = panel.response(1).result;
  // 2 layers × 2 (K,V) × 2 KV heads × 16 dims × 2 bytes × 100 tokens
  assert.equal(e.kvCache.cpuBytes, 2 * 2 * 2 * 16 * 2 * 100);
  assert.equal(e.weights.cpuBytes, mixBytes);
});

test('Inspect panel: an invalid file shows the one-line GgufFormatError message, no stack trace', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  const bad = path.join(dir, 'bad.gguf');
  const good = await tinyModel();
  // a real header cut short: the reader must say it is truncated
  fs.writeFileSync(bad, fs.readFileSync(good).subarray(0, 200));
  const panel = new FakePanel();
  new InspectPanel(bad, panel, readInspectSource, () => undefined);
  panel.send({ kind: 'notification', method: 'webview/ready', params: {} });
  await waitFor(() => panel.posted.length > 0, 'the error');
  assert.equal(panel.notifications('inspect/model').length, 0);
  const [err] = panel.notifications('inspect/error');
  assert.match(err.code, /^GGUF_/);
  assert.ok(err.message.length > 0 && !err.message.includes('\n') && !/\bat \S+ \(/.test(err.message), err.message);
  panel.send({ kind: 'request', id: 2, method: 'inspect/estimate', params: { contextSize: 100, gpuLayers: 0 } });
  await waitFor(() => panel.response(2), 'the reply');
  assert.equal(panel.response(2).ok, false);
});

test('checkModelFile / checkAdapterFile: one-line reasons for bad, missing and wrong-kind files', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  const good = await tinyModel();
  await checkModelFile(good);
  const junk = path.join(dir, 'junk.gguf');
  fs.writeFileSync(junk, 'this is not a model');
  await assert.rejects(checkModelFile(junk), (e: any) => e.code === 'GGUF_BAD_MAGIC' && !e.message.includes('\n'));
  await assert.rejects(checkModelFile(path.join(dir, 'missing.gguf')), (e: any) => e.code === 'FILE_NOT_FOUND');
  await assert.rejects(checkModelFile(dir), (e: any) => e.code === 'NOT_A_FILE');
  await assert.rejects(checkAdapterFile(good), (e: any) => e.code === 'NOT_AN_ADAPTER');
});
