import { GGML_TYPE, ggmlTypeTraits } from '../quant/index.js';
import { KernelArgumentError } from './KernelBackend.js';

/** The GGML types the kernels read in place (ids from src/engine/quant's one table). */
export const KERNEL_TYPES = Object.freeze({
  F32: GGML_TYPE.F32, F16: GGML_TYPE.F16, BF16: GGML_TYPE.BF16, Q8_0: GGML_TYPE.Q8_0, Q4_0: GGML_TYPE.Q4_0,
  Q5_0: GGML_TYPE.Q5_0, Q4_K: GGML_TYPE.Q4_K, Q5_K: GGML_TYPE.Q5_K, Q6_K: GGML_TYPE.Q6_K,
});
const SUPPORTED = new Set<number>(Object.values(KERNEL_TYPES));

export interface WeightLayout { blockSize: number; typeSize: number; rowBytes: number; byteLength: number }

/** Checks that a weight of this type and shape is one the kernels support, and returns its byte layout. */
export function weightLayout(type: number, cols: number, rows: number, byteLength?: number): WeightLayout {
  const t = ggmlTypeTraits(type);
  if (!t || !SUPPORTED.has(type)) {
    throw new KernelArgumentError(`Weight type ${t?.name ?? type} is not supported by the kernels (${Object.keys(KERNEL_TYPES).join(', ')} are).`);
  }
  if (!Number.isInteger(cols) || !Number.isInteger(rows) || cols <= 0 || rows <= 0) {
    throw new KernelArgumentError(`Weight shape [${cols}, ${rows}] must be positive integers.`);
  }
  if (cols % t.blockSize !== 0) throw new KernelArgumentError(`Weight row length ${cols} is not a multiple of the ${t.name} block size ${t.blockSize}.`);
  const rowBytes = (cols / t.blockSize) * t.typeSize;
  const total = rowBytes * rows;
  if (byteLength !== undefined && byteLength !== total) {
    throw new KernelArgumentError(`A ${t.name} weight of shape [${cols}, ${rows}] needs ${total} bytes, got ${byteLength}.`);
  }
  return { blockSize: t.blockSize, typeSize: t.typeSize, rowBytes, byteLength: total };
}
