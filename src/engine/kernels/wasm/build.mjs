// Compiles the AssemblyScript kernels (assembly/*.ts) to kernels.wasm, into wasm/build/ (tests and tools run from
// source) and into dist/ (next to the bundles, which load it from their own folder). Skips the compile when the
// output is newer than every source. Called by esbuild.mjs; run it directly with `node src/engine/kernels/wasm/build.mjs`.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../../..');
const srcDir = path.join(here, 'assembly');
// kernels-relaxed.wasm adds fused multiply-add (relaxed SIMD: default from Node 22, a flag on Node 20); the host
// picks it when WebAssembly.validate accepts it.
const variants = [['kernels.wasm', []], ['kernels-relaxed.wasm', ['--enable', 'relaxed-simd']]];
const force = process.argv.includes('--force');

const newestSource = Math.max(statSync(fileURLToPath(import.meta.url)).mtimeMs,
  ...readdirSync(srcDir).map((f) => statSync(path.join(srcDir, f)).mtimeMs));
for (const [name, extra] of variants) {
  const outFile = path.join(here, 'build', name);
  const distFile = path.join(root, 'dist', name);
  if (force || !existsSync(outFile) || statSync(outFile).mtimeMs < newestSource) {
    mkdirSync(path.dirname(outFile), { recursive: true });
    const asc = createRequire(import.meta.url).resolve('assemblyscript/bin/asc.js', { paths: [root] });
    // Write aside and rename: tests running side by side may build at once, and must never read half a file.
    const tmp = `${outFile}.${process.pid}.tmp`;
    execFileSync(process.execPath, [asc, path.join(srcDir, 'index.ts'),
      '--outFile', tmp,
      '-O3', '--noAssert', '--runtime', 'stub',
      '--enable', 'simd', '--enable', 'threads', ...extra,
      '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536',
    ], { stdio: 'inherit', cwd: root });
    renameSync(tmp, outFile);
  }
  mkdirSync(path.dirname(distFile), { recursive: true });
  copyFileSync(outFile, `${distFile}.${process.pid}.tmp`);
  renameSync(`${distFile}.${process.pid}.tmp`, distFile);
}
