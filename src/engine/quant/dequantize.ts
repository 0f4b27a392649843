import { dequantizeBf16, dequantizeF16, dequantizeF32 } from './floatTypes.js';
import { ggmlTensorBytes, ggmlTypeTraits } from './ggmlTypes.js';
import { dequantizeQ2_K, dequantizeQ3_K, dequantizeQ4_K, dequantizeQ5_K, dequantizeQ6_K } from './kQuantsDequantize.js';
import { dequantizeQ4_0, dequantizeQ4_1, dequantizeQ5_0, dequantizeQ5_1, dequantizeQ8_0 } from './legacyQuants.js';

type Dequantizer = (bytes: Uint8Array, out: Float32Array) => void;

const DEQUANTIZERS: Record<number, Dequantizer> = {
  0: dequantizeF32,
  1: dequantizeF16,
  30: dequantizeBf16,
  2: dequantizeQ4_0,
  3: dequantizeQ4_1,
  6: dequantizeQ5_0,
  7: dequantizeQ5_1,
  8: dequantizeQ8_0,
  10: dequantizeQ2_K,
  11: dequantizeQ3_K,
  12: dequantizeQ4_K,
  13: dequantizeQ5_K,
  14: dequantizeQ6_K,
};

/** Types dequantize() supports. */
export const DEQUANTIZABLE_TYPES: readonly number[] = Object.keys(DEQUANTIZERS).map(Number);

/** Decodes `elements` values stored in a GGML type to F32. `bytes` must hold exactly those values. */
export function dequantize(type: number, bytes: Uint8Array, elements: number): Float32Array {
  const f = DEQUANTIZERS[type];
  if (!f) throw new RangeError(`dequantize: ${ggmlTypeTraits(type)?.name ?? `type ${type}`} is not supported`);
  const need = ggmlTensorBytes(type, elements);
  if (bytes.length < need) throw new RangeError(`dequantize: ${elements} values need ${need} bytes, got ${bytes.length}`);
  const out = new Float32Array(elements);
  f(bytes, out);
  return out;
}
