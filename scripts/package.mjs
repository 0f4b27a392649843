#!/usr/bin/env node
// `npm run package`: production build, then a platform-specific VSIX that carries node-llama-cpp with only the
// target's llama.cpp binaries.
//   --target T        vsce target (default: this machine, e.g. linux-x64)
//   --gpu LIST        GPU builds to include: cuda,vulkan (default), cuda-ext (CUDA fallback library, +357 MiB),
//                     all, or none (CPU only)
//   --out FILE        where to write it (default: <name>-<version>-<target>.vsix in the checkout)
import path from 'node:path';
import { ensureDependencies } from './lib/ensure.mjs';
import { packageVsix, currentTarget, parseGpuVariants } from './lib/packageVsix.mjs';
import { ScriptError } from './lib/log.mjs';
import { exitOnSignals } from './lib/processes.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);

exitOnSignals();
try {
  ensureDependencies(root);
  const t = Date.now();
  const { vsix } = await packageVsix(root, {
    target: opt('--target', currentTarget()),
    gpu: parseGpuVariants(opt('--gpu', 'cuda,vulkan')),
    out: opt('--out') && path.resolve(opt('--out')),
  });
  console.log(`${vsix} (${((Date.now() - t) / 1000).toFixed(0)}s)`);
} catch (err) {
  console.error(err instanceof ScriptError ? `package: ${err.message}` : err);
  process.exit(1);
}
