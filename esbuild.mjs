// Builds every bundle of Model Lab. Entries whose source does not exist yet are skipped, so the table can
// name what the architecture promises before each piece lands.
import * as esbuild from 'esbuild';
import { existsSync, readdirSync, mkdirSync, copyFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');
const root = path.dirname(new URL(import.meta.url).pathname);

/** Node bundles: host is CommonJS (VS Code loads it with require); child processes and the CLI are ESM. */
const nodeEntries = [
  { in: 'src/host/extension.ts', out: 'dist/extension.cjs', format: 'cjs', external: ['vscode'] },
  { in: 'src/runtime/main.ts', out: 'dist/runtime.js', format: 'esm' },
  { in: 'src/jobs/main.ts', out: 'dist/jobs.js', format: 'esm' },
  { in: 'src/cli/main.ts', out: 'dist/cli.js', format: 'esm', banner: '#!/usr/bin/env node' },
  { in: 'src/engine/kernels/kernelWorker.ts', out: 'dist/kernelWorker.js', format: 'esm' },
];

// ESM bundles that include CommonJS dependencies need a real require.
const esmBanner = "import { createRequire as __mlCreateRequire } from 'node:module'; const require = __mlCreateRequire(import.meta.url);";

function nodeOptions(e) {
  return {
    entryPoints: [path.join(root, e.in)],
    outfile: path.join(root, e.out),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: e.format,
    sourcemap: true,
    minify: production,
    external: ['node-llama-cpp', ...(e.external ?? [])],
    banner: { js: [e.banner, e.format === 'esm' ? esmBanner : ''].filter(Boolean).join('\n') },
    logLevel: 'warning',
    // The CommonJS host bundle includes RuntimeClient, which reads import.meta.url only where __filename is missing.
    logOverride: e.format === 'cjs' ? { 'empty-import-meta': 'silent' } : undefined,
  };
}

/** One browser bundle per webview panel: webview/<panel>/main.ts → dist/webview/<panel>.js */
function webviewOptions() {
  const dir = path.join(root, 'webview');
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, 'main.ts')))
    .map((d) => ({
      entryPoints: [path.join(dir, d.name, 'main.ts')],
      outfile: path.join(root, 'dist', 'webview', `${d.name}.js`),
      bundle: true,
      platform: 'browser',
      target: 'es2022',
      format: 'iife',
      sourcemap: true,
      minify: production,
      loader: { '.css': 'text' },
      logLevel: 'warning',
    }));
}

/** AssemblyScript kernels → .wasm (see src/engine/kernels/wasm/build.mjs). */
function buildWasm() {
  const script = path.join(root, 'src/engine/kernels/wasm/build.mjs');
  if (existsSync(script)) execFileSync(process.execPath, [script], { stdio: 'inherit' });
}

/** Codicons for the webviews (their CSP only allows resources from dist/ and media/). */
function copyCodicons() {
  const from = path.join(root, 'node_modules/@vscode/codicons/dist');
  const to = path.join(root, 'dist/codicons');
  mkdirSync(to, { recursive: true });
  for (const f of ['codicon.css', 'codicon.ttf']) if (existsSync(path.join(from, f))) copyFileSync(path.join(from, f), path.join(to, f));
}

mkdirSync(path.join(root, 'dist'), { recursive: true });
copyCodicons();
buildWasm();
const all = [
  ...nodeEntries.filter((e) => existsSync(path.join(root, e.in))).map(nodeOptions),
  ...webviewOptions(),
];
if (watch) {
  for (const o of all) await (await esbuild.context(o)).watch();
  console.log(`watching ${all.length} bundles`);
} else {
  await Promise.all(all.map((o) => esbuild.build(o)));
  console.log(`built ${all.length} bundles`);
}
