// RuntimeClient with the real runtime child (src/runtime/main.ts under tsx): streaming, cancel, typed errors,
// and crash recovery — the child is killed in the middle of a generation.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { RuntimeClient, type RuntimeState } from '../../../src/runtime/client/RuntimeClient.js';
import { ModelFileError, RuntimeCrashedError, RuntimeUnavailableError } from '../../../src/runtime/errors.js';
import { RUNTIME_SOURCE_ENTRY, tempDir, testModel } from './fixtures.js';
import { startModelServer } from './modelServer.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('RuntimeClient with the runtime process', () => {
  let dir: string;
  let modelPath: string;
  let client: RuntimeClient;
  const states: RuntimeState[] = [];

  before(async () => {
    dir = tempDir();
    modelPath = await testModel(dir, 'llama.gguf', { contextLength: 512 });
    client = new RuntimeClient({ entry: RUNTIME_SOURCE_ENTRY, threads: 1, restart: { initialDelayMs: 50 } });
    client.on('state', (s) => states.push(s));
  });
  after(async () => {
    await client?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('starts on first call, loads a model, streams a generation', async () => {
    const info = await client.backendInfo();
    assert.equal(info.pid, client.pid);
    assert.notEqual(info.pid, process.pid);
    assert.equal(client.state, 'ready');
    const progress: number[] = [];
    const sub = client.on('loadProgress', (p) => progress.push(p.progress));
    const loaded = await client.loadModel({ id: 'm', path: modelPath });
    sub.dispose();
    assert.equal(loaded.architecture, 'llama');
    assert.ok(loaded.memory.ram + loaded.memory.vram > 0);
    assert.equal(progress.at(-1), 1);
    assert.deepEqual([...progress].sort((a, b) => a - b), progress);
    await client.createSession({ id: 's', modelId: 'm' });
    let streamed = '';
    const g = await client.generate({ sessionId: 's', prompt: 'Hello', maxTokens: 6, temperature: 0 }, { onChunk: (c) => (streamed += c.text) });
    assert.ok(g.tokens.length > 0);
    assert.equal(streamed, g.text);
  });

  test('an AbortSignal cancels a running generation', async () => {
    const ac = new AbortController();
    const r = await client.generate(
      { sessionId: 's', prompt: 'Hello', maxTokens: 100_000, temperature: 1, seed: 1 },
      { signal: ac.signal, onChunk: () => ac.abort() },
    );
    assert.equal(r.stopReason, 'cancelled');
    // a signal aborted before the call still stops it (the cancel follows the request on the channel)
    const early = await client.generate({ sessionId: 's', prompt: 'Hello', maxTokens: 100_000, temperature: 1, seed: 1 }, { signal: AbortSignal.abort() });
    assert.equal(early.stopReason, 'cancelled');
    assert.ok(early.tokens.length < 100);
  });

  test('errors from the runtime come back typed, and the process stays up', async () => {
    const pid = client.pid;
    const bad = path.join(dir, 'bad.gguf');
    fs.writeFileSync(bad, 'GGUF but not really');
    await assert.rejects(client.loadModel({ id: 'bad', path: bad }), (e: unknown) => e instanceof ModelFileError && e.code === 'MODEL_FILE_INVALID' && /bad\.gguf/.test(e.message));
    await assert.rejects(client.createSession({ modelId: 'nope' }), { code: 'NOT_LOADED' });
    assert.equal(client.pid, pid);
  });

  test('killing the process during a generation rejects the call with RuntimeCrashedError; the next call works', async () => {
    const crashes: RuntimeCrashedError[] = [];
    const sub = client.on('crash', (e) => crashes.push(e));
    const pid = client.pid!;
    let killed = false;
    const err = await client
      .generate({ sessionId: 's', prompt: 'Hello', maxTokens: 100_000, temperature: 1, seed: 2 }, {
        onChunk: () => {
          if (!killed) {
            killed = true;
            process.kill(pid, 'SIGKILL');
          }
        },
      })
      .then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof RuntimeCrashedError, `got ${String(err)}`);
    assert.equal(err.code, 'RUNTIME_CRASHED');
    assert.equal(err.signal, 'SIGKILL');
    assert.match(err.message, /SIGKILL/);
    assert.equal(crashes.length, 1);
    sub.dispose();

    // the next call waits for the restart, which reloads the model and recreates the session
    const g = await client.generate({ sessionId: 's', prompt: 'Hello', maxTokens: 6, temperature: 0 });
    assert.ok(g.tokens.length > 0);
    assert.notEqual(client.pid, pid);
    assert.deepEqual((await client.listModels()).map((m) => m.id), ['m']);
    assert.ok(states.includes('restarting'));
    assert.ok(client.recentLog.some((l) => /stopped \(signal SIGKILL\)/.test(l.message)), 'the log keeps the reason');
    assert.ok(client.recentLog.some((l) => /reloaded model m/.test(l.message)));
  });

  test('downloads run in the runtime process and report progress to the caller', async () => {
    const server = await startModelServer({ '/m/served.gguf': modelPath });
    try {
      const progress: number[] = [];
      const events: string[] = [];
      const sub = client.on('downloadProgress', (p) => events.push(p.downloadId));
      const out = path.join(dir, 'downloads');
      const r = await client.download({ uri: `${server.url}/m/served.gguf`, dirPath: out }, { onProgress: (p) => progress.push(p.downloadedBytes) });
      sub.dispose();
      assert.equal(r.path, path.join(out, 'served.gguf'));
      assert.ok(fs.readFileSync(r.path).equals(fs.readFileSync(modelPath)));
      assert.ok(progress.length > 0 && progress[progress.length - 1] === r.bytes);
      assert.equal(events.length, progress.length);
      await assert.rejects(client.download({ uri: 'gopher://x/y.gguf', dirPath: out }), { name: 'DownloadError', code: 'BAD_MODEL_URI' });
    } finally {
      await server.close();
    }
  });

  test('dispose kills the child; later calls fail clearly', async () => {
    const pid = client.pid!;
    await client.dispose();
    assert.equal(client.state, 'disposed');
    await waitFor(() => !alive(pid));
    await assert.rejects(client.backendInfo(), (e: unknown) => e instanceof RuntimeUnavailableError);
  });
});
