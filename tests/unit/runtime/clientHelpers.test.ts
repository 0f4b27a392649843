import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from '../../../src/process/Backoff.js';
import { LineBuffer } from '../../../src/process/LineBuffer.js';
import { RuntimeCrashedError } from '../../../src/runtime/errors.js';

test('Backoff doubles up to the cap, gives up after maxAttempts quick deaths, resets after a stable run', () => {
  const b = new Backoff(100, 500, 5, 10_000);
  assert.deepEqual([1, 2, 3, 4, 5].map(() => b.next(10)), [100, 200, 400, 500, 500]);
  assert.equal(b.next(10), undefined);
  assert.equal(b.next(10_000), 100); // lived long enough: start over
  assert.equal(b.next(5), 200);
});

test('LineBuffer splits stream chunks into lines and keeps partial lines until they end', () => {
  const lines: string[] = [];
  const lb = new LineBuffer((l) => lines.push(l));
  lb.push('GGML_ASSERT(');
  lb.push('x) failed\r\nsecond li');
  assert.deepEqual(lines, ['GGML_ASSERT(x) failed']);
  lb.push('ne\n\n');
  lb.push(Buffer.from('tail'));
  lb.flush();
  assert.deepEqual(lines, ['GGML_ASSERT(x) failed', 'second line', 'tail']);
});

test('RuntimeCrashedError says how the process ended and what it printed last', () => {
  const e = new RuntimeCrashedError(null, 'SIGABRT', ['llama.cpp: GGML_ASSERT(n > 0) failed']);
  assert.equal(e.code, 'RUNTIME_CRASHED');
  assert.match(e.message, /signal SIGABRT/);
  assert.match(e.message, /GGML_ASSERT/);
  assert.doesNotMatch(e.message, /\n/);
  assert.match(new RuntimeCrashedError(3, null).message, /exit code 3/);
});

test('ChunkCoalescer sends the first chunk at once, merges the rest, and flush leaves nothing behind', async () => {
  const { ChunkCoalescer } = await import('../../../src/runtime/server/ChunkCoalescer.js');
  const sent: Array<{ text: string; tokens: number[] }> = [];
  const c = new ChunkCoalescer((x) => sent.push({ text: x.text, tokens: x.tokens }), 10_000);
  c.push({ generationId: 'g', text: 'a', tokens: [1] });
  c.push({ generationId: 'g', text: 'b', tokens: [2] });
  c.push({ generationId: 'g', text: 'c', tokens: [3, 4] });
  assert.deepEqual(sent, [{ text: 'a', tokens: [1] }]);
  c.flush();
  assert.deepEqual(sent, [{ text: 'a', tokens: [1] }, { text: 'bc', tokens: [2, 3, 4] }]);
  c.flush();
  assert.equal(sent.length, 2);
});

test('errors that crossed JSON-RPC come back as their own class when they are ours (runtime classes registered)', async () => {
  const { ModelFileError, DownloadError } = await import('../../../src/runtime/errors.js');
  const { reviveError, RemoteError } = await import('../../../src/process/errors.js');
  const { ModelLabError } = await import('../../../src/engine/errors.js');
  const a = reviveError('ModelFileError', 'MODEL_FILE_INVALID', '/m.gguf: not a valid GGUF file');
  assert.ok(a instanceof ModelFileError && a instanceof ModelLabError && a instanceof Error);
  assert.equal(a.message, '/m.gguf: not a valid GGUF file');
  assert.equal(a.code, 'MODEL_FILE_INVALID');
  assert.equal(a.name, 'ModelFileError');
  assert.ok(reviveError('DownloadError', 'DISK_FULL', 'x') instanceof DownloadError);
  const other = reviveError('TypeError', 'INTERNAL', 'boom');
  assert.ok(other instanceof RemoteError);
  assert.equal(other.name, 'TypeError');
});
