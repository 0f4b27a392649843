import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebviewChannel } from '../../../src/host/panels/WebviewChannel.js';
import { inspectIncoming, type InspectProtocol } from '../../../src/protocol/webviewInspect.js';
import { FakePanel } from './stubHostApi.js';

function setup(estimate: InspectProtocol['requests']['inspect/estimate'] extends { params: infer P } ? (p: P, ctx: { signal: AbortSignal }) => unknown : never) {
  const panel = new FakePanel();
  const log: string[] = [];
  let readyCalls = 0;
  const ch = new WebviewChannel<InspectProtocol>(panel, inspectIncoming, { requests: { 'inspect/estimate': estimate as any }, onReady: () => readyCalls++ }, (l) => log.push(l));
  return { panel, log, ch, readyCalls: () => readyCalls };
}

const tick = () => new Promise((r) => setImmediate(r));

test('notifications wait for the ready handshake, then go out in order', async () => {
  const { panel, ch, readyCalls } = setup(() => ({}));
  ch.notify('inspect/error', { code: 'A', message: 'first' });
  ch.notify('inspect/error', { code: 'B', message: 'second' });
  assert.equal(panel.posted.length, 0);
  panel.send({ kind: 'notification', method: 'webview/ready', params: {} });
  await tick();
  assert.deepEqual(panel.notifications('inspect/error').map((p: any) => p.code), ['A', 'B']);
  assert.equal(readyCalls(), 1);
  ch.notify('inspect/error', { code: 'C', message: 'third' });
  await tick();
  assert.equal(panel.notifications('inspect/error').length, 3);
});

test('a valid request is answered with its id; a throwing handler gives a one-line error', async () => {
  let fail = false;
  const { panel } = setup(({ contextSize }) => {
    if (fail) throw Object.assign(new Error('bad things\n    at stack frame'), { code: 'X_CODE' });
    return { contextSize };
  });
  panel.send({ kind: 'request', id: 11, method: 'inspect/estimate', params: { contextSize: 512, gpuLayers: 0 } });
  await tick();
  assert.deepEqual(panel.response(11), { kind: 'response', id: 11, ok: true, result: { contextSize: 512 } });
  fail = true;
  panel.send({ kind: 'request', id: 12, method: 'inspect/estimate', params: { contextSize: 512, gpuLayers: 0 } });
  await tick();
  assert.deepEqual(panel.response(12), { kind: 'response', id: 12, ok: false, error: { code: 'X_CODE', message: 'bad things' } });
});

test('malformed messages are ignored and logged; a bad request with an id gets INVALID_REQUEST', async () => {
  let calls = 0;
  const { panel, log } = setup(() => (calls++, {}));
  panel.send('hello');
  panel.send({ kind: 'notification', method: 'inspect/model', params: {} });
  panel.send({ kind: 'request', id: 5, method: 'inspect/estimate', params: { contextSize: 'big', gpuLayers: 0 } });
  await tick();
  assert.equal(calls, 0, 'the handler never saw a bad message');
  assert.equal(log.length, 3);
  assert.ok(log.every((l) => l.startsWith('[webview] ignored a message')));
  const r = panel.response(5);
  assert.equal(r.ok, false);
  assert.equal(r.error.code, 'INVALID_REQUEST');
  assert.equal(panel.posted.length, 1, 'only the answerable request got a reply');
});

test('closing the panel aborts the channel signal and stops replies', async () => {
  let seen: AbortSignal | null = null;
  let release!: () => void;
  const { panel, ch } = setup(async (_p, ctx) => {
    seen = ctx.signal;
    await new Promise<void>((r) => (release = r));
    return {};
  });
  panel.send({ kind: 'request', id: 1, method: 'inspect/estimate', params: { contextSize: 1, gpuLayers: 0 } });
  await tick();
  assert.equal(seen!.aborted, false);
  panel.dispose();
  assert.equal(ch.signal.aborted, true);
  assert.equal(seen!.aborted, true);
  release();
  await tick();
  assert.equal(panel.posted.length, 0);
});
