import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Tests may run where `npm run build` has not made the .wasm yet: build it (a no-op when it is up to date). */
export function ensureKernelsBuilt(): void {
  execFileSync(process.execPath, [fileURLToPath(new URL('../../../src/engine/kernels/wasm/build.mjs', import.meta.url))], { stdio: 'inherit' });
}
