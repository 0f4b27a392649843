import { KernelArgumentError } from './KernelBackend.js';

/** GGML type ids the kernels read (same ids as src/engine/quant GGML_TYPES). */
export const KERNEL_TYPES = Object.freeze({ F32: 0, F16: 1, Q4_0: 2, Q8_0: 8, Q4_K: 12, Q5_K: 13, Q6_K: 14, BF16: 30 });

/** [values per block, bytes per block] of each supported type. */
const LAYOUT: Record<number, [number, number]> = {
  0: [1, 4], 1: [1, 2], 30: [1, 2], 8: [32, 34], 2: [32, 18], 12: [256, 144], 13: [256, 176], 14: [256, 210],
};

export interface WeightLayout { blockSize: number; typeSize: number; rowBytes: number; byteLength: number }

/** Checks that a weight of this type and shape is one the kernels support, and returns its byte layout. */
export function weightLayout(type: number, cols: number, rows: number, byteLength?: number): WeightLayout {
  const l = LAYOUT[type];
  if (!l) throw new KernelArgumentError(`Weight type ${type} is not supported by the kernels (F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K are).`);
  const [blockSize, typeSize] = l;
  if (!Number.isInteger(cols) || !Number.isInteger(rows) || cols <= 0 || rows <= 0) {
    throw new KernelArgumentError(`Weight shape [${cols}, ${rows}] must be positive integers.`);
  }
  if (cols % blockSize !== 0) throw new KernelArgumentError(`Weight row length ${cols} is not a multiple of the block size ${blockSize} of type ${type}.`);
  const rowBytes = (cols / blockSize) * typeSize;
  const total = rowBytes * rows;
  if (byteLength !== undefined && byteLength !== total) {
    throw new KernelArgumentError(`Weight of type ${type} and shape [${cols}, ${rows}] needs ${total} bytes, got ${byteLength}.`);
  }
  return { blockSize, typeSize, rowBytes, byteLength: total };
}
