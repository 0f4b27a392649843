import { GGUF_VALUE_TYPE, type GgufMetadataEntry, type GgufValue } from '../gguf/types.js';
import { TokenizerError } from './SpmTokenizer.js';
import type { TokenizerVocab } from './TokenizerVocab.js';

/** The `tokenizer.ggml.*` entries that make llama.cpp load `vocab` as an SPM ("llama") tokenizer. */
export function tokenizerGgufMetadata(vocab: TokenizerVocab): GgufMetadataEntry[] {
  const { STRING, ARRAY, FLOAT32, INT32, UINT32, BOOL } = GGUF_VALUE_TYPE;
  return [
    { key: 'tokenizer.ggml.model', type: STRING, value: 'llama' },
    { key: 'tokenizer.ggml.tokens', type: ARRAY, elementType: STRING, value: vocab.tokens },
    // f32 is what llama.cpp reads; round here so our own tokenizer sees the very same scores.
    { key: 'tokenizer.ggml.scores', type: ARRAY, elementType: FLOAT32, value: vocab.scores.map((s) => Math.fround(s)) },
    { key: 'tokenizer.ggml.token_type', type: ARRAY, elementType: INT32, value: vocab.types },
    { key: 'tokenizer.ggml.bos_token_id', type: UINT32, value: vocab.bosId },
    { key: 'tokenizer.ggml.eos_token_id', type: UINT32, value: vocab.eosId },
    { key: 'tokenizer.ggml.unknown_token_id', type: UINT32, value: vocab.unkId },
    { key: 'tokenizer.ggml.add_bos_token', type: BOOL, value: vocab.addBos },
    { key: 'tokenizer.ggml.add_eos_token', type: BOOL, value: vocab.addEos },
    { key: 'tokenizer.ggml.add_space_prefix', type: BOOL, value: vocab.addSpacePrefix },
  ];
}

/** Reads an SPM vocabulary back from GGUF metadata (as parsed by readGguf), with llama.cpp's defaults. */
export function tokenizerVocabFromGguf(metadata: Record<string, GgufValue>): TokenizerVocab {
  const model = metadata['tokenizer.ggml.model'];
  if (model !== 'llama') {
    throw new TokenizerError('TOKENIZER_UNSUPPORTED', `Tokenizer model '${String(model)}' is not supported here (only SPM 'llama').`);
  }
  const tokens = metadata['tokenizer.ggml.tokens'];
  if (!Array.isArray(tokens) || tokens.some((t) => typeof t !== 'string')) {
    throw new TokenizerError('TOKENIZER_VOCAB', 'The model file has no tokenizer.ggml.tokens string array.');
  }
  const numbers = (key: string, fallback: number): number[] => {
    const v = metadata[key];
    return Array.isArray(v) && v.length === tokens.length ? v.map(Number) : tokens.map(() => fallback);
  };
  const id = (key: string, fallback: number): number => (metadata[key] === undefined ? fallback : Number(metadata[key]));
  const flag = (key: string, fallback: boolean): boolean => (typeof metadata[key] === 'boolean' ? (metadata[key] as boolean) : fallback);
  return {
    tokens: tokens as string[],
    scores: numbers('tokenizer.ggml.scores', 0),
    types: numbers('tokenizer.ggml.token_type', 1),
    bosId: id('tokenizer.ggml.bos_token_id', 1),
    eosId: id('tokenizer.ggml.eos_token_id', 2),
    unkId: id('tokenizer.ggml.unknown_token_id', 0),
    addBos: flag('tokenizer.ggml.add_bos_token', true),
    addEos: flag('tokenizer.ggml.add_eos_token', false),
    addSpacePrefix: flag('tokenizer.ggml.add_space_prefix', true),
  };
}
