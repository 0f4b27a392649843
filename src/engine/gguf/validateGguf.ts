import { checkAdapter, isLoraAdapter } from './checkAdapter.js';
import { checkHyperparameters } from './checkHyperparameters.js';
import { checkTensorTypes } from './checkTensorTypes.js';
import { GgufFormatError } from './GgufFormatError.js';
import { ADAPTER, ADAPTER_FILE_TYPE, archKey, GENERAL, TOKENIZER } from './metadataKeys.js';
import { archLayout } from './tensorLayout.js';
import { GGUF_VALUE_TYPE as T, GGUF_VALUE_TYPE_NAMES, type GgufFile, type GgufValueTypeId } from './types.js';

/** llama.cpp's LLAMA_MAX_LAYERS: per-layer arrays are sized by it, a larger block_count overflows them. */
export const MAX_LAYERS = 512;

/**
 * Keys whose wrong type makes llama.cpp abort the whole process (it reads them with gguf_get_val_*, which asserts
 * the type) rather than fail politely. Value: the one type llama.cpp accepts.
 */
const ASSERTED_KEY_TYPES: Record<string, GgufValueTypeId> = {
  [GENERAL.architecture]: T.STRING,
  [GENERAL.type]: T.STRING,
  [ADAPTER.type]: T.STRING,
  [ADAPTER.loraAlpha]: T.FLOAT32,
};

/** Tokenizer arrays that llama.cpp indexes without checking the element type. */
const TOKENIZER_ARRAYS: Record<string, GgufValueTypeId> = {
  [TOKENIZER.tokens]: T.STRING,
  [TOKENIZER.scores]: T.FLOAT32,
  [TOKENIZER.tokenType]: T.INT32,
  [TOKENIZER.merges]: T.STRING,
};

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
    if (key === TOKENIZER.tokens) nTokens = len;
    else if (key !== TOKENIZER.merges && nTokens !== undefined && len !== nTokens) {
      // llama.cpp reads scores[i] / token_type[i] for every token i: a shorter array is read past its end
      throw new GgufFormatError('GGUF_BAD_TOKENIZER', keyOffsets[key], `${key} has ${len} entries but there are ${nTokens} tokens`);
    }
  }
  if (nTokens === undefined && (Object.hasOwn(md, TOKENIZER.scores) || Object.hasOwn(md, TOKENIZER.tokenType))) {
    warnings.push('tokenizer scores or token types without tokenizer.ggml.tokens');
  }

  checkPacking(file);
  const arch = md[GENERAL.architecture];
  const isAdapter = md[GENERAL.type] === ADAPTER_FILE_TYPE;
  if (typeof arch !== 'string') {
    if (!isAdapter && file.tensors.length > 0) warnings.push('no general.architecture: llama.cpp cannot load this file as a model');
    return;
  }
  const blockKey = archKey(arch, 'blockCount');
  if (Object.hasOwn(md, blockKey)) {
    const n = md[blockKey];
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw new GgufFormatError('GGUF_BAD_KEY_TYPE', keyOffsets[blockKey], `${blockKey} must be a non-negative integer`);
    }
    if (n > MAX_LAYERS) {
      throw new GgufFormatError('GGUF_TOO_MANY_LAYERS', keyOffsets[blockKey], `${blockKey} is ${n}; llama.cpp supports at most ${MAX_LAYERS} layers`);
    }
  }
  if (!isAdapter) {
    checkHyperparameters(arch, md, keyOffsets);
    checkTensorTypes(file, arch, tensorInfoOffsets);
  }
  const ffKey = archKey(arch, 'feedForwardLength');
  const ff = md[ffKey];
  if (Array.isArray(ff)) {
    const el = types[ffKey].elementType;
    if (el !== T.INT32 && el !== T.UINT32) {
      // llama.cpp reads per-layer hyperparameters only from INT32 / UINT32 arrays (and refuses the model otherwise)
      warnings.push(`${ffKey} is an array of ${typeName(el)}; llama.cpp reads per-layer widths only as INT32 or UINT32 and will refuse this model`);
    }
    if (typeof md[blockKey] === 'number' && ff.length !== md[blockKey]) {
      warnings.push(`${ffKey} has ${ff.length} entries but the model has ${String(md[blockKey])} layers; llama.cpp will refuse this model`);
    }
    const layout = archLayout(arch);
    if (layout && !layout.perLayerFfn && new Set(ff.map(String)).size > 1) {
      warnings.push(`${ffKey} differs between layers; llama.cpp builds every ${arch} layer with layer 0's width and will refuse this model`);
    }
    if (layout?.perLayerFfn && ff.slice(0, -1).some((w) => Number(w) === 0)) {
      // llama.cpp's deci graph skips the rest of a layer without FFN: its attention output is dropped as well
      warnings.push(`${ffKey} has a layer of width 0: llama.cpp passes such a ${arch} layer's input through unchanged, attention included`);
    }
  }
  if (isLoraAdapter(md)) {
    if (!Object.hasOwn(md, ADAPTER.loraAlpha)) warnings.push('LoRA adapter without adapter.lora.alpha: llama.cpp will use alpha = 0 (scale by rank)');
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
