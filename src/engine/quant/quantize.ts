import { quantizeBf16, quantizeF16, quantizeF32 } from './floatTypes.js';
import { ggmlTypeTraits } from './ggmlTypes.js';
import { quantizeQ4_K, quantizeQ6_K } from './kQuantsQuantize.js';
import { quantizeQ4_0, quantizeQ8_0 } from './legacyQuants.js';

type Quantizer = (values: Float32Array) => Uint8Array;

const QUANTIZERS: Record<number, Quantizer> = {
  0: quantizeF32,
  1: quantizeF16,
  30: quantizeBf16,
  2: quantizeQ4_0,
  8: quantizeQ8_0,
  12: quantizeQ4_K,
  14: quantizeQ6_K,
};

/** Types quantize() supports. */
export const QUANTIZABLE_TYPES: readonly number[] = Object.keys(QUANTIZERS).map(Number);

/** Encodes F32 values in a GGML type; the count must be a whole number of the type's blocks. */
export function quantize(type: number, values: Float32Array): Uint8Array {
  const f = QUANTIZERS[type];
  const traits = ggmlTypeTraits(type);
  if (!f || !traits) throw new RangeError(`quantize: ${traits?.name ?? `type ${type}`} is not supported`);
  if (values.length % traits.blockSize !== 0) throw new RangeError(`quantize: ${values.length} values is not a whole number of ${traits.name} blocks (${traits.blockSize})`);
  return f(values);
}
