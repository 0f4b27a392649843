import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkIncoming } from '../../../src/protocol/webviewSchema.js';
import { playgroundIncoming } from '../../../src/protocol/webviewPlayground.js';
import { inspectIncoming } from '../../../src/protocol/webviewInspect.js';

const sampling = { temperature: 0.7, topP: 0.9, topK: 40, maxTokens: 64 };
const generate = (params: unknown, extra: Record<string, unknown> = {}) => ({ kind: 'request', id: 1, method: 'playground/generate', params, ...extra });
const goodParams = { modelId: 'demo', mode: 'chat', prompt: 'hi', sampling };

test('accepts a valid generate request, with and without the optional fields', () => {
  const a = checkIncoming(playgroundIncoming, generate(goodParams));
  assert.deepEqual(a, { ok: true, kind: 'request', id: 1, method: 'playground/generate', params: goodParams });
  const full = { ...goodParams, history: [{ role: 'user', text: 'a' }, { role: 'assistant', text: 'b' }], systemPrompt: 's', adapterPath: '/x.gguf', adapterScale: 0.5, sampling: { ...sampling, seed: 42 } };
  assert.equal(checkIncoming(playgroundIncoming, generate(full)).ok, true);
});

test('accepts the ready handshake and known notifications', () => {
  assert.equal(checkIncoming(playgroundIncoming, { kind: 'notification', method: 'webview/ready', params: {} }).ok, true);
  assert.equal(checkIncoming(playgroundIncoming, { kind: 'notification', method: 'webview/ready' }).ok, true);
  assert.equal(checkIncoming(playgroundIncoming, { kind: 'notification', method: 'playground/selectModel', params: { modelId: 'demo' } }).ok, true);
  assert.equal(checkIncoming(inspectIncoming, { kind: 'request', id: 7, method: 'inspect/estimate', params: { contextSize: 4096, gpuLayers: 33 } }).ok, true);
});

test('rejects malformed envelopes', () => {
  for (const bad of [null, 42, 'x', [], {}, { kind: 'request', method: 'playground/stop', params: { jobId: 'g1' } }, { kind: 'request', id: -1, method: 'playground/stop', params: { jobId: 'g1' } }, { kind: 'request', id: 1.5, method: 'playground/stop', params: { jobId: 'g1' } }, { kind: 'response', id: 1, method: 'playground/stop' }, { kind: 'request', id: 1, method: 7 }]) {
    const r = checkIncoming(playgroundIncoming, bad);
    assert.equal(r.ok, false, JSON.stringify(bad));
  }
});

test('rejects unknown methods and keys, naming the problem; answerable requests keep their id', () => {
  const r1 = checkIncoming(playgroundIncoming, { kind: 'request', id: 3, method: 'playground/rm -rf', params: {} });
  assert.deepEqual(r1.ok === false && [r1.id, /unknown request/.test(r1.reason)], [3, true]);
  const r2 = checkIncoming(playgroundIncoming, generate({ ...goodParams, extra: 1 }));
  assert.ok(!r2.ok && /unexpected key "extra"/.test(r2.reason));
  const r3 = checkIncoming(playgroundIncoming, generate(goodParams, { evil: true }));
  assert.ok(!r3.ok && /unexpected key "evil"/.test(r3.reason));
  const r4 = checkIncoming(playgroundIncoming, { kind: 'notification', method: 'playground/token', params: { jobId: 'g', text: 'x' } });
  assert.ok(!r4.ok && /unknown notification/.test(r4.reason), 'host-bound messages only');
  const r5 = checkIncoming(playgroundIncoming, { kind: 'request', id: 1, method: 'constructor', params: {} });
  assert.equal(r5.ok, false, 'prototype keys are not methods');
});

test('rejects params of the wrong type or out of range', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ ...goodParams, mode: 'shell' }, /params\.mode: expected one of/],
    [{ ...goodParams, prompt: 5 }, /params\.prompt: expected string/],
    [{ ...goodParams, sampling: { ...sampling, maxTokens: 0 } }, /maxTokens: expected ≥ 1/],
    [{ ...goodParams, sampling: { ...sampling, maxTokens: 10.5 } }, /maxTokens: expected integer/],
    [{ ...goodParams, sampling: { ...sampling, temperature: Number.NaN } }, /temperature: expected finite number/],
    [{ ...goodParams, sampling: { ...sampling, topP: 2 } }, /topP: expected ≤ 1/],
    [{ ...goodParams, sampling: { ...sampling, seed: -1 } }, /seed: expected ≥ 0/],
    [{ ...goodParams, history: [{ role: 'root', text: 'x' }] }, /history\[0\]\.role/],
    [{ ...goodParams, history: 'x' }, /history: expected array/],
    [{ modelId: 'demo', mode: 'chat', prompt: 'x' }, /params\.sampling: expected object/],
    [{ ...goodParams, modelId: '' }, /modelId: shorter than 1/],
    [{ ...goodParams, prompt: 'x'.repeat(200_001) }, /prompt: longer than/],
    ['params', /params: expected object, got string/],
  ];
  for (const [params, re] of cases) {
    const r = checkIncoming(playgroundIncoming, generate(params));
    assert.ok(!r.ok, JSON.stringify(params).slice(0, 80));
    assert.match(r.reason, re);
  }
  const e = checkIncoming(inspectIncoming, { kind: 'request', id: 2, method: 'inspect/estimate', params: { contextSize: 4096, gpuLayers: -1 } });
  assert.ok(!e.ok && /gpuLayers: expected ≥ 0/.test(e.reason));
});
