// Runs the `model-lab` CLI as a user does, in a child process. The CLI is bundled once per test file, as
// `npm run build` does (under tsx each run costs seconds of transpiling); the bundle goes under .cache/ in the
// repository so that `node-llama-cpp`, kept external, resolves from node_modules.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliHarness {
  /** The bundled CLI script (for commands that keep running, such as `serve`). */
  bundle: string;
  /** Runs the bundled CLI; `cwd` defaults to the repository root. */
  run(args: string[], opts?: { cwd?: string; timeoutMs?: number }): Promise<CliRun>;
  /** Runs src/cli/main.ts through tsx (for code the bundle cannot load, e.g. kernel workers). */
  runFromSource(args: string[], opts?: { cwd?: string; timeoutMs?: number }): Promise<CliRun>;
  dispose(): void;
}

function exec(argv: string[], cwd: string, timeout: number): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, argv, { cwd, env: { ...process.env, MODEL_LAB_THREADS: '1' }, timeout }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

export async function bundleCli(): Promise<CliHarness> {
  const outDir = path.join(repoRoot, '.cache', 'test-cli');
  fs.mkdirSync(outDir, { recursive: true });
  const bundle = path.join(outDir, `cli-${process.pid}-${randomBytes(3).toString('hex')}.mjs`);
  await esbuild.build({
    entryPoints: [path.join(repoRoot, 'src/cli/main.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: ['node-llama-cpp'],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'silent',
  });
  return {
    bundle,
    run: (args, opts = {}) => exec([bundle, ...args], opts.cwd ?? repoRoot, opts.timeoutMs ?? 60_000),
    runFromSource: (args, opts = {}) =>
      exec(['--import', import.meta.resolve('tsx'), path.join(repoRoot, 'src/cli/main.ts'), ...args], opts.cwd ?? repoRoot, opts.timeoutMs ?? 120_000),
    dispose: () => fs.rmSync(bundle, { force: true }),
  };
}
