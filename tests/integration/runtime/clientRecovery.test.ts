// RuntimeClient's recovery rules against a stand-in child (no llama.cpp): a model whose reload kills the process
// is dropped instead of crashing it forever; a child that cannot start gives up after a few tries, with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeClient, type RuntimeState } from '../../../src/runtime/client/RuntimeClient.js';
import { RuntimeCrashedError } from '../../../src/runtime/errors.js';
import { tempDir } from './fixtures.js';

const fake = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fakes', 'fakeRuntime.ts');

test('a model whose reload kills the runtime is dropped; the runtime comes back without it', async () => {
  const dir = tempDir();
  const marker = path.join(dir, 'crash-now');
  const client = new RuntimeClient({ entry: fake, env: { FAKE_CRASH_ON_LOAD: marker }, restart: { initialDelayMs: 20 } });
  try {
    await client.loadModel({ id: 'good', path: '/models/good.gguf' });
    const pending = client.generate({ sessionId: 'none', prompt: 'x' });
    fs.writeFileSync(marker, ''); // from now on loading crashes the child
    const pid = client.pid!;
    process.kill(pid, 'SIGKILL');
    await assert.rejects(pending, (e: unknown) => e instanceof RuntimeCrashedError && e.signal === 'SIGKILL');
    // restart 1 dies reloading 'good' (exit 134, GGML_ASSERT on stderr); restart 2 skips it
    const info = (await waitForReady(client)) as { pid: number };
    assert.notEqual(info.pid, pid);
    assert.deepEqual(client.loadedModels, []);
    assert.deepEqual(await client.listModels(), []);
    const log = client.recentLog.map((l) => l.message).join('\n');
    assert.match(log, /exit code 134/);
    assert.match(log, /GGML_ASSERT\(fake\) failed/);
    assert.match(log, /model good was not reloaded/);
  } finally {
    await client.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a runtime that keeps dying at start stops being restarted and says so', async () => {
  const states: RuntimeState[] = [];
  const client = new RuntimeClient({ entry: fake, env: { FAKE_DIE_AT_START: '1' }, restart: { initialDelayMs: 10, maxAttempts: 2 } });
  client.on('state', (s) => states.push(s));
  try {
    await assert.rejects(client.backendInfo(), (e: unknown) => e instanceof RuntimeCrashedError && e.exitCode === 1 && /dying at start/.test(e.message));
    const end = Date.now() + 30_000;
    while (client.state !== 'failed' && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.equal(client.state, 'failed');
    assert.ok(states.filter((s) => s === 'restarting').length >= 1);
    assert.ok(client.recentLog.some((l) => /keeps stopping; not restarting/.test(l.message)));
  } finally {
    await client.dispose();
  }
});

async function waitForReady(client: RuntimeClient): Promise<unknown> {
  // calls made while the child restarts wait for it; one made just as a restart dies may see that crash
  for (let i = 0; i < 5; i++) {
    try {
      return await client.backendInfo();
    } catch (e) {
      if (!(e instanceof RuntimeCrashedError)) throw e;
    }
  }
  throw new Error('runtime did not come back');
}

test('a missing runtime entry is a clear error, and a later call tries again', async () => {
  const dir = tempDir();
  const entry = path.join(dir, 'runtime.ts');
  const client = new RuntimeClient({ entry });
  try {
    await assert.rejects(client.backendInfo(), { name: 'RuntimeUnavailableError', message: /runtime\.ts does not exist/ });
    assert.equal(client.state, 'failed');
    fs.symlinkSync(fake, entry); // "built" meanwhile (a link: the fake resolves its imports from the repository)
    const info = (await client.backendInfo()) as { pid: number };
    assert.equal(info.pid, client.pid);
    assert.equal(client.state, 'ready');
  } finally {
    await client.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('restart() replaces the child and reloads what was loaded; pending calls are told why', async () => {
  const client = new RuntimeClient({ entry: fake });
  try {
    await client.loadModel({ id: 'a', path: '/models/a.gguf' });
    const oldPid = client.pid!;
    const pending = client.generate({ sessionId: 'none', prompt: 'x' }).then(() => undefined, (e: unknown) => e);
    await client.restart('off');
    const err = (await pending) as Error;
    assert.equal(err?.name, 'RuntimeUnavailableError');
    assert.match(err.message, /was restarted/);
    assert.notEqual(client.pid, oldPid);
    assert.equal(client.state, 'ready');
    assert.deepEqual((await client.listModels()).map((m) => m.id), ['a']);
  } finally {
    await client.dispose();
  }
});
