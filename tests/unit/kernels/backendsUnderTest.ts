import { after, before } from 'node:test';
import { createReferenceBackend, createWasmBackend, type KernelBackend } from '../../../src/engine/kernels/index.js';
import { ensureKernelsBuilt } from './ensureKernelsBuilt.js';

/**
 * The reference twin and the WASM backend on 1 and 2 threads (2 with no size threshold, so even tiny calls are
 * split), started before the file's tests and disposed after them. `plain`: the plain-SIMD build on 2 threads,
 * which the default does not exercise where the runtime has relaxed SIMD on (Node ≥ 22).
 */
export function backendsUnderTest(): { ref: KernelBackend; fast: Map<number, KernelBackend>; plain: () => KernelBackend } {
  const ref = createReferenceBackend();
  const fast = new Map<number, KernelBackend>();
  let plain: KernelBackend | undefined;
  before(async () => {
    ensureKernelsBuilt();
    fast.set(1, await createWasmBackend({ threads: 1 }));
    fast.set(2, await createWasmBackend({ threads: 2, parallelThreshold: 0 }));
    plain = await createWasmBackend({ threads: 2, parallelThreshold: 0, simd: 'plain' });
  });
  after(() => {
    for (const b of fast.values()) b.dispose();
    plain?.dispose();
  });
  return { ref, fast, plain: () => plain! };
}
