import { GgufFormatError } from './GgufFormatError.js';
import type { GgufFile } from './types.js';

/** Activation-only types (no dot product with them as weights): llama.cpp crashes on such a weight. */
const NEVER_WEIGHTS = new Set(['Q8_1', 'Q8_K']);
/** Types llama.cpp can store but not multiply or look up: as a matrix they crash the CPU backend. */
const NOT_FLOAT = new Set(['F64', 'I8', 'I16', 'I32', 'I64']);
/** Architectures where these were measured (node-llama-cpp 3.21.1): errors there, warnings elsewhere. */
const MEASURED_ARCHS = new Set(['llama', 'phi3', 'qwen2']);

/**
 * Tensor types that make llama.cpp crash (abort or segfault) when it builds or runs the model, each measured:
 * a weight in Q8_1 / Q8_K; a matrix in F64 or an integer type; a 1-D tensor (norm weight, bias) not in F32
 * (the CPU backend cannot multiply or add F32 activations by F16/quantized vectors).
 */
export function checkTensorTypes(file: GgufFile, arch: string, infoOffsets: number[]): void {
  const strict = MEASURED_ARCHS.has(arch);
  file.tensors.forEach((t, i) => {
    let problem: string | undefined;
    if (NEVER_WEIGHTS.has(t.typeName)) {
      throw new GgufFormatError('GGUF_BAD_TENSOR_TYPE', infoOffsets[i], `tensor '${t.name}' is stored as ${t.typeName}, an activation-only type (llama.cpp crashes on it)`);
    }
    if (t.shape.length >= 2 && t.shape[1] > 1 && NOT_FLOAT.has(t.typeName)) problem = `matrix '${t.name}' is stored as ${t.typeName}; llama.cpp can only multiply float or quantized matrices`;
    else if (t.shape.filter((d) => d > 1).length <= 1 && t.typeName !== 'F32' && /(norm\.weight|\.bias)$/.test(t.name)) {
      problem = `1-D tensor '${t.name}' is stored as ${t.typeName}; llama.cpp needs norm weights and biases in F32`;
    }
    if (!problem) return;
    if (strict) throw new GgufFormatError('GGUF_BAD_TENSOR_TYPE', infoOffsets[i], `${problem} (it crashes otherwise)`);
    file.warnings.push(problem);
  });
}
