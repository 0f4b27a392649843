import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KernelStartError } from '../KernelBackend.js';

/** Folder of this module: src/engine/kernels/wasm under tsx, the bundle's folder (dist/) when bundled. */
function moduleDir(): string {
  let url: string | undefined;
  try {
    url = import.meta.url;
  } catch {
    url = undefined;
  }
  if (url) return path.dirname(fileURLToPath(url));
  // CommonJS bundle (the extension host): esbuild leaves import.meta empty there.
  if (typeof __dirname === 'string') return __dirname;
  throw new KernelStartError('Cannot tell where the kernel files are; pass wasmPath and workerPath.');
}

/**
 * Where kernels.wasm and the worker script are. Bundled: both next to the bundle (dist/kernels.wasm,
 * dist/kernelWorker.js). From source: wasm/build/kernels.wasm and kernelWorker.ts (workers inherit tsx).
 */
export function kernelFiles(opts: { wasmPath?: string; workerPath?: string } = {}): { wasm: string; relaxedWasm?: string; worker: string } {
  const here = moduleDir();
  const up = path.dirname(here);
  const pick = (given: string | undefined, candidates: string[], what: string): string => {
    if (given) {
      if (!existsSync(given)) throw new KernelStartError(`The ${what} ${given} does not exist.`);
      return given;
    }
    const hit = candidates.find((c) => existsSync(c));
    if (!hit) throw new KernelStartError(`The ${what} is missing (looked in ${candidates.join(', ')}); run \`npm run build\`.`);
    return hit;
  };
  const relaxed = [path.join(here, 'kernels-relaxed.wasm'), path.join(here, 'build', 'kernels-relaxed.wasm')].find((c) => existsSync(c));
  return {
    relaxedWasm: opts.wasmPath ? undefined : relaxed,
    wasm: pick(opts.wasmPath, [path.join(here, 'kernels.wasm'), path.join(here, 'build', 'kernels.wasm')], 'kernel module'),
    worker: pick(opts.workerPath, [path.join(here, 'kernelWorker.js'), path.join(up, 'kernelWorker.ts')], 'kernel worker'),
  };
}
