import { checkAdapter } from './checkAdapter.js';
import { checkHyperparameters } from './checkHyperparameters.js';
import { checkTensorTypes } from './checkTensorTypes.js';
import { GgufFormatError } from './GgufFormatError.js';
import { GGUF_VALUE_TYPE as T, GGUF_VALUE_TYPE_NAMES, type GgufFile, type GgufValueTypeId } from './types.js';

/** llama.cpp's LLAMA_MAX_LAYERS: per-layer arrays are sized by it, a larger block_count overflows them. */
export const MAX_LAYERS = 512;

/**
 * Keys whose wrong type makes llama.cpp abort the whole process (it reads them with gguf_get_val_*, which asserts
 * the type) rather than fail politely. Value: the one type llama.cpp accepts.
 */
const ASSERTED_KEY_TYPES: Record<string, GgufValueTypeId> = {
  'general.architecture': T.STRING,
  'general.type': T.STRING,
  'adapter.type': T.STRING,
  'adapter.lora.alpha': T.FLOAT32,
};

/** Tokenizer arrays that llama.cpp indexes without checking the element type. */
const TOKENIZER_ARRAYS: Record<string, GgufValueTypeId> = {
  'tokenizer.ggml.tokens': T.STRING,
  'tokenizer.ggml.scores': T.FLOAT32,
  'tokenizer.ggml.token_type': T.INT32,
  'tokenizer.ggml.merges': T.STRING,
};

/** Architectures that build every layer with layer 0's FFN width (FACTS.md). */
const SINGLE_FFN_WIDTH_ARCHS = new Set(['llama', 'phi3', 'qwen2']);

/**
 * Checks the parsed metadata for what would crash or confuse llama.cpp. Errors throw GgufFormatError;
 * what llama.cpp merely refuses to load is added to file.warnings.
 */
export function validateGguf(file: GgufFile, keyOffsets: Record<string, number>, tensorInfoOffsets: number[] = []): void {
  const { metadata: md, metadataTypes: types, warnings } = file;
  const typeName = (t: number | undefined): string => (t === undefined ? 'none' : GGUF_VALUE_TYPE_NAMES[t]);

  for (const [key, want] of Object.entries(ASSERTED_KEY_TYPES)) {
    if (Object.hasOwn(md, key) && types[key].type !== want) {
      throw new GgufFormatError('GGUF_BAD_KEY_TYPE', keyOffsets[key], `${key} must be a ${typeName(want)}, not ${typeName(types[key].type)} (llama.cpp aborts on it)`);
    }
  }

  let nTokens: number | undefined;
  for (const [key, want] of Object.entries(TOKENIZER_ARRAYS)) {
    if (!Object.hasOwn(md, key)) continue;
    const info = types[key];
    if (info.type !== T.ARRAY || info.elementType !== want) {
      const got = info.type === T.ARRAY ? `an array of ${typeName(info.elementType)}` : `a ${typeName(info.type)}`;
      throw new GgufFormatError('GGUF_BAD_TOKENIZER', keyOffsets[key], `${key} must be an array of ${typeName(want)}, not ${got}`);
    }
    const len = (md[key] as unknown[]).length;
    if (key === 'tokenizer.ggml.tokens') nTokens = len;
    else if (key !== 'tokenizer.ggml.merges' && nTokens !== undefined && len !== nTokens) {
      // llama.cpp reads scores[i] / token_type[i] for every token i: a shorter array is read past its end
      throw new GgufFormatError('GGUF_BAD_TOKENIZER', keyOffsets[key], `${key} has ${len} entries but there are ${nTokens} tokens`);
    }
  }
  if (nTokens === undefined && (Object.hasOwn(md, 'tokenizer.ggml.scores') || Object.hasOwn(md, 'tokenizer.ggml.token_type'))) {
    warnings.push('tokenizer scores or token types without tokenizer.ggml.tokens');
  }

  checkPacking(file);
  const arch = md['general.architecture'];
  if (typeof arch !== 'string') {
    if (md['general.type'] !== 'adapter' && file.tensors.length > 0) warnings.push('no general.architecture: llama.cpp cannot load this file as a model');
    return;
  }
  const blockKey = `${arch}.block_count`;
  if (Object.hasOwn(md, blockKey)) {
    const n = md[blockKey];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw new GgufFormatError('GGUF_BAD_KEY_TYPE', keyOffsets[blockKey], `${blockKey} must be a non-negative integer`);
    }
    if (n > MAX_LAYERS) {
      throw new GgufFormatError('GGUF_TOO_MANY_LAYERS', keyOffsets[blockKey], `${blockKey} is ${n}; llama.cpp supports at most ${MAX_LAYERS} layers`);
    }
  }
  if (md['general.type'] !== 'adapter') {
    checkHyperparameters(arch, md, keyOffsets);
    checkTensorTypes(file, arch, tensorInfoOffsets);
  }
  const ffKey = `${arch}.feed_forward_length`;
  const ff = md[ffKey];
  if (Array.isArray(ff)) {
    if (typeof md[blockKey] === 'number' && ff.length !== md[blockKey]) {
      warnings.push(`${ffKey} has ${ff.length} entries but the model has ${String(md[blockKey])} layers`);
    }
    if (SINGLE_FFN_WIDTH_ARCHS.has(arch) && new Set(ff.map(String)).size > 1) {
      warnings.push(`${ffKey} differs between layers; llama.cpp builds every ${arch} layer with layer 0's width and will refuse this model`);
    }
  }
  if (md['general.type'] === 'adapter' && md['adapter.type'] === 'lora') {
    if (!Object.hasOwn(md, 'adapter.lora.alpha')) warnings.push('LoRA adapter without adapter.lora.alpha: llama.cpp will use alpha = 0 (scale by rank)');
    checkAdapter(file);
  }
}

/** llama.cpp expects tensor data in the order of the tensor infos, each padded to the alignment, with no gaps. */
function checkPacking(file: GgufFile): void {
  let expected = file.dataOffset;
  for (const t of file.tensors) {
    if (t.offset !== expected) {
      file.warnings.push(`tensor '${t.name}' data is not where llama.cpp expects it (in order, padded to ${file.alignment}); llama.cpp will refuse to load this file`);
      return;
    }
    expected += Math.ceil(t.bytes / file.alignment) * file.alignment;
  }
}
