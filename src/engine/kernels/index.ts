// Compute kernels of the engine: a plain TypeScript reference and (createWasmBackend) AssemblyScript SIMD kernels
// on worker_threads over one shared WebAssembly.Memory. See CONTRACTS.md, "Kernels".
export type { KernelBackend, WeightHandle } from './KernelBackend.js';
export { KernelArgumentError, KernelDisposedError, KernelStartError } from './KernelBackend.js';
export { KERNEL_TYPES, weightLayout } from './weightTypes.js';
export { createReferenceBackend } from './reference/createReferenceBackend.js';
export { createWasmBackend, WasmBackend, type WasmBackendOptions } from './wasm/WasmBackend.js';
export { KernelOutOfMemoryError } from './wasm/WasmHeap.js';
