// Compute kernels of the engine (CONTRACTS.md, "Kernels").
//
//   createReferenceBackend()  plain TypeScript, float64 sums, one weight row dequantized at a time (src/engine/quant):
//                             the twin every fast kernel is tested against.
//   createWasmBackend(opts)   AssemblyScript, 128-bit SIMD (wasm/assembly/), on `threads` threads (the caller plus
//                             worker_threads) over ONE shared WebAssembly.Memory:
//     - weights are copied once into that memory in their stored GGUF type (F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K,
//       Q5_K, Q6_K) and dequantized a KC×NC block at a time into the packed B panel of a blocked GEMM (BLIS loop
//       order, 4×8 register tile); one-token calls dot straight from the quantized rows;
//     - activations are copied into a scratch region per call and the result out (O(m·k) against O(m·k·n)),
//       unless they were made with allocF32 (views into the shared memory, used in place);
//     - every call is synchronous: the caller takes chunks of C from a shared counter along with the workers and
//       Atomics.waits only for workers that joined; chunks are fixed by the sizes, so results are the same bits
//       for any thread count;
//     - the memory grows as weights arrive, up to 4 GiB (wasm32); kernels-relaxed.wasm (fused multiply-add, i8 dot
//       products) is used where the runtime has relaxed SIMD on (Node ≥ 22) and its i8 dot is one instruction
//       (startKernelThreads probes it); Node 20 turns it on only when asked (simd: 'relaxed').
//   Files: bundled, dist/kernelWorker.js and dist/kernels*.wasm sit next to the bundle; from source (tsx),
//   kernelWorker.ts and wasm/build/kernels*.wasm (made by wasm/build.mjs, which `npm run build` runs).
export type { KernelBackend, WeightHandle } from './KernelBackend.js';
export {
  checkKernelMemory, KERNEL_MEMORY_RESERVE, KernelArgumentError, KernelDisposedError, KernelMemoryLimitError, KernelStartError,
} from './KernelBackend.js';
export { KERNEL_TYPES, weightLayout } from './weightTypes.js';
export { createReferenceBackend } from './reference/createReferenceBackend.js';
export { createWasmBackend, WasmBackend, type WasmBackendOptions } from './wasm/WasmBackend.js';
export { KernelOutOfMemoryError } from './wasm/WasmHeap.js';
