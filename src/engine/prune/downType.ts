import { ggmlTypeTraits, GGML_TYPE, QUANTIZABLE_TYPES } from '../quant/index.js';

/**
 * Types we cannot quantize to, and the type ffn_down is rewritten in instead: the nearest one we can write with at
 * least as many bits per weight and the same block along the row.
 */
const STAND_INS: Record<number, number> = {
  [GGML_TYPE.Q4_1]: GGML_TYPE.Q8_0,
  [GGML_TYPE.Q5_0]: GGML_TYPE.Q8_0,
  [GGML_TYPE.Q5_1]: GGML_TYPE.Q8_0,
  [GGML_TYPE.Q2_K]: GGML_TYPE.Q4_K,
  [GGML_TYPE.Q3_K]: GGML_TYPE.Q4_K,
  [GGML_TYPE.Q5_K]: GGML_TYPE.Q6_K,
};

/** The type a pruned ffn_down is written in: its own when we can requantize it, else a stand-in (or F16). */
export function prunedDownType(type: number): number {
  if (QUANTIZABLE_TYPES.includes(type)) return type;
  return STAND_INS[type] ?? GGML_TYPE.F16;
}

/** The block along ffn_down's rows of the type it is written in (1 for float types). */
export function prunedDownBlock(type: number): number {
  return ggmlTypeTraits(prunedDownType(type))!.blockSize;
}
