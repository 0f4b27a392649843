// The one child-process stack (src/process) that the runtime and the job process share: typed requests, the
// child's stdout/stderr captured into the log and a log file, AbortSignal → cancellation in the child, errors
// revived by class and code, crash detection and restart with backoff, ELECTRON_RUN_AS_NODE in every child.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AbortedError, ModelLabError } from '../../../src/engine/errors.js';
import { JobClient, JobCrashedError } from '../../../src/jobs/client/JobClient.js';
import { ProcessCrashedError, RemoteError } from '../../../src/process/errors.js';
import { ProcessClient } from '../../../src/process/ProcessClient.js';
import type { ProcessState } from '../../../src/process/ProcessClientOptions.js';
import { RuntimeClient } from '../../../src/runtime/client/RuntimeClient.js';
import { RuntimeCrashedError } from '../../../src/runtime/errors.js';
import { EchoError, type EchoRequests } from './fakes/echoProtocol.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const echoEntry = path.join(here, 'fakes', 'echoChild.ts');

class EchoCrashed extends ProcessCrashedError {
  constructor(code: number | null, signal: string | null, lastLog: string[]) {
    super('ECHO_CRASHED', 'The echo process', code, signal, lastLog);
  }
}

function echoClient(logFile: string) {
  return new ProcessClient<EchoRequests>({
    label: 'echo',
    title: 'The echo process',
    entry: echoEntry,
    logFile,
    restart: { initialDelayMs: 20 },
    crashError: (code, signal, lastLog) => new EchoCrashed(code, signal, lastLog),
    unavailableError: (m) => new ModelLabError('ECHO_UNAVAILABLE', m),
  });
}

test('typed requests, captured output, cancellation, revived errors, crash and restart', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-proc-'));
  const logFile = path.join(dir, 'logs', 'echo.log');
  const client = echoClient(logFile);
  const states: ProcessState[] = [];
  client.on('state', (s) => states.push(s));
  try {
    const said = await client.request('echo/say', { text: 'hello' });
    assert.equal(said.text, 'hello');
    assert.equal(said.electronRunAsNode, '1');
    assert.equal(said.pid, client.pid);
    // stdout and stderr arrive as log lines (stderr as warnings) and in the log file
    const until = Date.now() + 10_000;
    while (!client.recentLog.some((l) => l.message === 'err: hello') && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    assert.ok(client.recentLog.some((l) => l.source === 'process' && l.level === 'info' && l.message === 'out: hello'));
    assert.ok(client.recentLog.some((l) => l.source === 'process' && l.level === 'warn' && l.message === 'err: hello'));
    const written = fs.readFileSync(logFile, 'utf8');
    assert.match(written, /\[client\] info: echo process started \(pid \d+\)/);
    assert.match(written, /\[process\] warn: err: hello/);

    const ac = new AbortController();
    const waiting = client.request('echo/wait', {}, ac.signal);
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(waiting, (e: unknown) => e instanceof AbortedError && e.message === 'Stopped waiting.');
    // aborted before it was sent: never reaches the child
    await assert.rejects(client.request('echo/say', { text: 'never' }, AbortSignal.abort()), (e: unknown) => e instanceof AbortedError);
    assert.ok(!client.recentLog.some((l) => l.message === 'out: never'));

    await assert.rejects(client.request('echo/fail', { registered: true }), (e: unknown) => e instanceof EchoError && e.code === 'ECHO_BROKEN' && e.message === 'The echo broke.');
    await assert.rejects(client.request('echo/fail', { registered: false }), (e: unknown) => e instanceof RemoteError && e.code === 'ECHO_OTHER' && e.name === 'ModelLabError');

    const pid = client.pid!;
    const pending = client.request('echo/wait', {});
    process.kill(pid, 'SIGKILL');
    await assert.rejects(pending, (e: unknown) => e instanceof EchoCrashed && e.signal === 'SIGKILL' && e.code === 'ECHO_CRASHED' && /The echo process stopped \(signal SIGKILL\)/.test(e.message));
    const again = await client.request('echo/say', { text: 'back' });
    assert.notEqual(again.pid, pid);
    assert.ok(states.includes('restarting') && states.at(-1) === 'ready', states.join(' → '));
    assert.match(fs.readFileSync(logFile, 'utf8'), /echo process \d+ stopped \(signal SIGKILL\)[\s\S]*restarting the echo in 20 ms/);
  } finally {
    await client.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(client.state, 'disposed');
});

test('the runtime and the job process run on the same stack', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  assert.ok(new RuntimeCrashedError(1, null) instanceof ProcessCrashedError);
  assert.ok(new JobCrashedError(1, null) instanceof ProcessCrashedError);
  const runtime = new RuntimeClient({ entry: path.join(here, '..', 'runtime', 'fakes', 'fakeRuntime.ts') });
  const jobs = new JobClient({ entry: path.resolve('src/jobs/main.ts') });
  try {
    await runtime.start();
    await assert.rejects(jobs.run('j', 'nope' as 'train', os.tmpdir(), {} as never), { code: 'JOB_UNKNOWN_KIND' });
    for (const pid of [runtime.pid!, jobs.pid!]) {
      const env = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      assert.ok(env.includes('ELECTRON_RUN_AS_NODE=1'), `pid ${pid} was not forked with ELECTRON_RUN_AS_NODE`);
    }
  } finally {
    await runtime.dispose();
    await jobs.dispose();
  }
});
