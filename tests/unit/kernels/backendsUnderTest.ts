import { after, before } from 'node:test';
import { createReferenceBackend, createWasmBackend, type KernelBackend } from '../../../src/engine/kernels/index.js';
import { ensureKernelsBuilt } from './ensureKernelsBuilt.js';

/**
 * The reference twin and the WASM backend on 1 and 2 threads (2 with no size threshold, so even tiny calls are
 * split), started before the file's tests and disposed after them.
 */
export function backendsUnderTest(): { ref: KernelBackend; fast: Map<number, KernelBackend> } {
  const ref = createReferenceBackend();
  const fast = new Map<number, KernelBackend>();
  before(async () => {
    ensureKernelsBuilt();
    fast.set(1, await createWasmBackend({ threads: 1 }));
    fast.set(2, await createWasmBackend({ threads: 2, parallelThreshold: 0 }));
  });
  after(() => { for (const b of fast.values()) b.dispose(); });
  return { ref, fast };
}
