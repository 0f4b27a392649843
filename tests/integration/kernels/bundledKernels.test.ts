import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

// The CLI and job bundles import the engine: the kernels must find dist/kernelWorker.js and dist/kernels*.wasm
// next to the bundle, not the sources. This builds the same way esbuild.mjs does into a temp "dist".
test('the WASM backend runs from a bundle with the worker and .wasm next to it', async () => {
  execFileSync(process.execPath, [path.join(root, 'src/engine/kernels/wasm/build.mjs')], { stdio: 'inherit' });
  const dist = mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  try {
    const entry = path.join(dist, 'entry.ts');
    writeFileSync(entry, `
      import { createWasmBackend, createReferenceBackend } from ${JSON.stringify(path.join(root, 'src/engine/kernels/index.ts'))};
      const be = await createWasmBackend({ threads: 2 });
      const ref = createReferenceBackend();
      const cols = 64, rows = 40, m = 9;
      const w = new Float32Array(cols * rows).map((_, i) => Math.sin(i));
      const x = new Float32Array(m * cols).map((_, i) => Math.cos(i));
      const bytes = new Uint8Array(w.buffer);
      const a = be.matmul(x, be.uploadWeight(0, bytes, cols, rows), m);
      const b = ref.matmul(x, ref.uploadWeight(0, bytes, cols, rows), m);
      let err = 0;
      for (let i = 0; i < a.length; i++) err = Math.max(err, Math.abs(a[i] - b[i]));
      be.dispose();
      console.log(JSON.stringify({ name: be.name, threads: be.threads, err }));
    `);
    const common = { bundle: true, platform: 'node' as const, target: 'node20', format: 'esm' as const, logLevel: 'error' as const };
    await esbuild.build({ ...common, entryPoints: [entry], outfile: path.join(dist, 'cli.js') });
    await esbuild.build({ ...common, entryPoints: [path.join(root, 'src/engine/kernels/kernelWorker.ts')], outfile: path.join(dist, 'kernelWorker.js') });
    for (const f of ['kernels.wasm', 'kernels-relaxed.wasm']) copyFileSync(path.join(root, 'src/engine/kernels/wasm/build', f), path.join(dist, f));
    assert.ok(!existsSync(path.join(dist, 'kernelWorker.ts')));
    // Plain node (no tsx) from another cwd: nothing may resolve through the source tree.
    const out = execFileSync(process.execPath, [path.join(dist, 'cli.js')], { cwd: os.tmpdir(), encoding: 'utf8', timeout: 60_000 });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { name: string; threads: number; err: number };
    assert.equal(r.threads, 2);
    assert.match(r.name, /^wasm-simd/);
    assert.ok(r.err < 1e-4, `max error ${r.err}`);
  } finally {
    rmSync(dist, { recursive: true, force: true });
  }
});
