import { GGUF_VALUE_TYPE, type GgufMetadataEntry, type GgufValue } from '../gguf/types.js';
import { TokenizerError } from './SpmTokenizer.js';
import { ENGINE_TOKENIZER_MODELS, engineTokenizes } from './TextTokenizer.js';
import type { TokenizerVocab } from './TokenizerVocab.js';
import { GENERAL, TOKEN_TYPE, TOKENIZER } from '../gguf/metadataKeys.js';

/** The `tokenizer.ggml.*` entries that make llama.cpp load `vocab` as an SPM ("llama") tokenizer. */
export function tokenizerGgufMetadata(vocab: TokenizerVocab): GgufMetadataEntry[] {
  const { STRING, ARRAY, FLOAT32, INT32, UINT32, BOOL } = GGUF_VALUE_TYPE;
  return [
    { key: TOKENIZER.model, type: STRING, value: 'llama' },
    { key: TOKENIZER.tokens, type: ARRAY, elementType: STRING, value: vocab.tokens },
    // f32 is what llama.cpp reads; round here so our own tokenizer sees the very same scores.
    { key: TOKENIZER.scores, type: ARRAY, elementType: FLOAT32, value: vocab.scores.map((s) => Math.fround(s)) },
    { key: TOKENIZER.tokenType, type: ARRAY, elementType: INT32, value: vocab.types },
    { key: TOKENIZER.bosId, type: UINT32, value: vocab.bosId },
    { key: TOKENIZER.eosId, type: UINT32, value: vocab.eosId },
    { key: TOKENIZER.unknownId, type: UINT32, value: vocab.unkId },
    { key: TOKENIZER.addBos, type: BOOL, value: vocab.addBos },
    { key: TOKENIZER.addEos, type: BOOL, value: vocab.addEos },
    { key: TOKENIZER.addSpacePrefix, type: BOOL, value: vocab.addSpacePrefix },
  ];
}

/** Reads an SPM vocabulary back from GGUF metadata (as parsed by readGguf), with llama.cpp's defaults. */
export function tokenizerVocabFromGguf(metadata: Record<string, GgufValue>): TokenizerVocab {
  const model = metadata[TOKENIZER.model];
  if (!engineTokenizes(metadata)) {
    throw new TokenizerError('TOKENIZER_UNSUPPORTED',
      `The lab engine's tokenizer covers SPM vocabularies (tokenizer model ${ENGINE_TOKENIZER_MODELS.map((m) => `'${m}'`).join(', ')}); this model's is '${String(model)}': tokenize it with llama.cpp (llamaCppTokenizer).`);
  }
  const tokens = metadata[TOKENIZER.tokens];
  if (!Array.isArray(tokens) || tokens.some((t) => typeof t !== 'string')) {
    throw new TokenizerError('TOKENIZER_VOCAB', 'The model file has no tokenizer.ggml.tokens string array.');
  }
  const numbers = (key: string, fallback: number): number[] => {
    const v = metadata[key];
    return Array.isArray(v) && v.length === tokens.length ? v.map(Number) : tokens.map(() => fallback);
  };
  const id = (key: string, fallback: number): number => (metadata[key] === undefined ? fallback : Number(metadata[key]));
  const flag = (key: string, fallback: boolean): boolean => (typeof metadata[key] === 'boolean' ? (metadata[key] as boolean) : fallback);
  const stripAfter = phi3StripAfter(metadata[GENERAL.name], tokens as string[], numbers(TOKENIZER.tokenType, 1));
  return {
    tokens: tokens as string[],
    scores: numbers(TOKENIZER.scores, 0),
    types: numbers(TOKENIZER.tokenType, 1),
    bosId: id(TOKENIZER.bosId, 1),
    eosId: id(TOKENIZER.eosId, 2),
    unkId: id(TOKENIZER.unknownId, 0),
    addBos: flag(TOKENIZER.addBos, true),
    addEos: flag(TOKENIZER.addEos, false),
    addSpacePrefix: flag(TOKENIZER.addSpacePrefix, true),
    ...(stripAfter.length > 0 ? { stripAfter } : {}),
  };
}

/**
 * llama.cpp drops the whitespace after Phi-3's special tokens (so `<|user|>\nHi` reads as `<|user|>`, `▁Hi`), but
 * only for a model whose general.name contains "phi-3" or "phi3" (case-insensitive): every control, user-defined and
 * unknown token, and `</s>`, except `<unk>`, `<s>` and `<|endoftext|>`. The file says nothing else about it, so the
 * name is what we key on too; other models keep their whitespace.
 */
export function phi3StripAfter(name: GgufValue | undefined, tokens: readonly string[], types: readonly number[]): number[] {
  const n = typeof name === 'string' ? name.toLowerCase() : '';
  if (!n.includes('phi-3') && !n.includes('phi3')) return [];
  const special = new Set<number>([TOKEN_TYPE.CONTROL, TOKEN_TYPE.USER_DEFINED, TOKEN_TYPE.UNKNOWN]);
  const keep = new Set(['<unk>', '<s>', '<|endoftext|>']);
  const out: number[] = [];
  tokens.forEach((t, i) => {
    if ((special.has(types[i]!) || t === '</s>') && !keep.has(t)) out.push(i);
  });
  return out;
}
