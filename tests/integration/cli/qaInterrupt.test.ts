// Ctrl-C during `train`, as a user presses it in a terminal: one SIGINT cancels — the command says how to continue,
// exits 1 and leaves no half variant — and the same command with --resume finishes the run. The CLI runs from source
// in its own process (the kernels' workers), on a small generated model.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { listVariants } from '../../../src/workspace/index.js';
import { tempDir, testModel } from '../runtime/fixtures.js';
import { repoRoot } from './cliHarness.js';

interface Exit { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Runs the CLI; `interruptWhen` sees stderr as it grows and says when to press Ctrl-C (once). */
function runCli(args: string[], interruptWhen?: (stderr: string) => boolean): Promise<Exit> {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(repoRoot, 'src/cli/main.ts'), ...args], {
    cwd: repoRoot, env: { ...process.env, MODEL_LAB_THREADS: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let sent = false;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (!sent && interruptWhen?.(stderr)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

describe('CLI train: Ctrl-C, then --resume', () => {
  let dir: string;
  let model: string;
  let pairs: string;

  before(async () => {
    dir = tempDir();
    model = await testModel(dir, 'llama.gguf');
    pairs = path.join(dir, 'pairs.jsonl');
    fs.writeFileSync(pairs, ['a', 'b', 'c', 'd'].map((x) => JSON.stringify({ prompt: `say ${x}`, chosen: ` ${x} yes`, rejected: ` ${x} no` })).join('\n') + '\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('one SIGINT cancels with a checkpoint and a --resume line; the resumed run finishes', async () => {
    const data = path.join(dir, 'data');
    const args = ['train', model, '--pairs', pairs, '--steps', '40', '--held-out', '0', '--data', data];
    const cancelled = await runCli(args, (err) => /^step 3\//m.test(err));
    assert.equal(cancelled.signal, null, `the process handled the signal instead of dying of it (stderr: ${cancelled.stderr.slice(-300)})`);
    assert.equal(cancelled.code, 1, cancelled.stderr.slice(-300));
    assert.equal(cancelled.stdout, '');
    const last = cancelled.stderr.trimEnd().split('\n').at(-1)!;
    const m = /^model-lab train: Training cancelled; continue it with --resume (.+)$/.exec(last);
    assert.ok(m, `last line: ${last}`);
    const listed = await listVariants(data);
    assert.deepEqual([listed.variants.length, listed.pending.length], [0, 0], 'no variant, finished or pending, is left behind');

    const resumed = await runCli([...args, '--resume', m[1]!, '--json']);
    assert.equal(resumed.code, 0, resumed.stderr.slice(-300));
    const out = JSON.parse(resumed.stdout) as { steps: number; variantId: string };
    assert.equal(out.steps, 40);
    assert.equal((await listVariants(data)).variants.length, 1);
  });
});
