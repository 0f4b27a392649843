// `model-lab serve` started as a user starts it: the bundled CLI in its own process, on a free port; resolves once
// it prints the address it listens at (rejects, with its stderr, if it exits first).
import { spawn, type ChildProcess } from 'node:child_process';
import { repoRoot, type CliHarness } from '../cli/cliHarness.js';

export interface Served {
  child: ChildProcess;
  /** the OpenAI base URL, ending in /v1 */
  url: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

export function startServe(harness: CliHarness, model: string, args: string[] = []): Promise<Served> {
  const child = spawn(process.execPath, [harness.bundle, 'serve', model, '--port', '0', ...args], {
    cwd: repoRoot,
    env: { ...process.env, MODEL_LAB_THREADS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /at (http:\/\/\S+\/v1)\n/.exec(out);
      if (m) resolve({ child, url: m[1]!, stderr: () => err, exited });
    });
    void exited.then((code) => reject(new Error(`serve exited (${code}) before listening: ${err}`)));
  });
}
