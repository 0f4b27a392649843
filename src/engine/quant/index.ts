// Public API of the quantized-tensor library.
export { GGML_TYPE, GGML_TYPES, ggmlTensorBytes, ggmlTypeByName, ggmlTypeTraits, type GgmlTypeTraits } from './ggmlTypes.js';
export { dequantize, DEQUANTIZABLE_TYPES } from './dequantize.js';
export { quantize, QUANTIZABLE_TYPES } from './quantize.js';
export { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16, roundToF16 } from './halfFloat.js';
