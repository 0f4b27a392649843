import { dequantize } from '../quant/dequantize.js';
import { f32ToF16 } from '../quant/halfFloat.js';
import { ggmlTensorBytes, ggmlTypeTraits } from '../quant/ggmlTypes.js';
import type { Rng } from '../model/random.js';

/** Byte offsets (within a block) of the f16 super-scale `d` and of the f16 min factor, per quantized type. */
const FACTOR_OFFSETS: Record<string, { d: number; min?: number }> = {
  Q4_0: { d: 0 }, Q4_1: { d: 0, min: 2 }, Q5_0: { d: 0 }, Q5_1: { d: 0, min: 2 }, Q8_0: { d: 0 },
  Q2_K: { d: 80, min: 82 }, Q3_K: { d: 108 }, Q4_K: { d: 0, min: 2 }, Q5_K: { d: 0, min: 2 }, Q6_K: { d: 208 },
};

/**
 * Random blocks of a quantized type (for types we can read but not write): random quants and sub-block scales,
 * with the f16 factors chosen so the decoded values have standard deviation ≈ std and mean ≈ 0 (types with a min
 * factor; the others may keep a small offset, e.g. Q4_0's q − 8 has mean −0.5: about 0.1 std).
 * Every byte pattern of these types is a valid encoding, so this exercises every bit of the decoder.
 */
export function randomQuantBlocks(type: number, elements: number, std: number, rng: Rng): Uint8Array {
  const traits = ggmlTypeTraits(type);
  const at = traits && FACTOR_OFFSETS[traits.name];
  if (!traits || !at) throw new RangeError(`randomQuantBlocks: ${traits?.name ?? type} is not a block-quantized type`);
  const bytes = new Uint8Array(ggmlTensorBytes(type, elements));
  for (let i = 0; i < bytes.length; i++) bytes[i] = rng.int(256);
  const blocks = bytes.length / traits.typeSize;
  const setFactors = (d: number, min: number): void => {
    for (let b = 0; b < blocks; b++) {
      const p = b * traits.typeSize;
      put(bytes, p + at.d, d);
      if (at.min !== undefined) put(bytes, p + at.min, min);
    }
  };
  // values are linear in (d, min): measure each part, then mix them for mean 0 and scale for the wanted std
  setFactors(1, 0);
  const a = dequantize(type, bytes, elements);
  let r = 0;
  if (at.min !== undefined) {
    setFactors(0, 1);
    const m = dequantize(type, bytes, elements);
    const meanM = mean(m);
    r = meanM !== 0 ? -mean(a) / meanM : 0;
    for (let i = 0; i < elements; i++) a[i] += r * m[i];
  }
  const mu = mean(a);
  let v = 0;
  for (let i = 0; i < elements; i++) v += (a[i] - mu) ** 2;
  const s = Math.sqrt(v / elements) || 1;
  setFactors(std / s, (std / s) * r);
  return bytes;
}

function put(b: Uint8Array, at: number, v: number): void {
  const h = f32ToF16(v);
  b[at] = h & 255;
  b[at + 1] = h >> 8;
}

function mean(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  return s / x.length;
}
