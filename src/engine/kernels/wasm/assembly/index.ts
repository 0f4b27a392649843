// Entry of the kernels module (asc --runtime stub, imported shared memory). No managed objects: every kernel
// works on raw addresses handed over by the host, so one module instance per thread can share one memory.
export { gemmChunks, WORK_BYTES, GEMV_MAX_M, MODE_NT, MODE_NN } from './gemm';
export { dequantSpan } from './dequant';

/** First byte after the module's static data; the host allocates above it. */
export function heapBase(): usize {
  return __heap_base;
}
export { softmaxChunks, softmaxBackwardChunks } from './softmax';
export { swigluChunks } from './swiglu';
export { quantizeChunks, qBufferBytes } from './quantizeRows';
export { qgemmChunks, qValueShift, QWORK_BYTES, T_Q8_0_ABS, relaxedDotProbe } from './qgemm';
export { swigluBackwardChunks } from './swiglu';
export { rmsnormChunks } from './rmsnorm';
export { ropeChunks } from './rope';
export { addChunks, zeroBytes } from './add';
