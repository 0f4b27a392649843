import type { GgufValue } from '../gguf/types.js';
import { TOKENIZER } from '../gguf/metadataKeys.js';

export interface EncodeOptions {
  addBos?: boolean;
  parseSpecial?: boolean;
}

/**
 * What training needs from a tokenizer. Two implement it: the engine's SpmTokenizer (SPM vocabularies, pure
 * TypeScript) and llama.cpp's own tokenizer, loaded vocabulary-only (src/runtime/core/llamaCppTokenizer.ts), for the
 * vocabularies the engine does not cover. Either way the ids are the ones llama.cpp produces from the same text.
 */
export interface TextTokenizer {
  /**
   * Token ids of `text`; with addBos, BOS first when the vocabulary adds one (llama.cpp's add_special). With
   * parseSpecial the texts of control tokens (e.g. a chat template's `<|user|>`) become those tokens, as llama.cpp
   * reads a rendered chat (its parse_special); without it they are tokenized as ordinary text.
   */
  encode(text: string, opts?: EncodeOptions): number[];
  readonly bosId: number;
  readonly eosId: number;
  /** The vocabulary puts BOS before a text (tokenizer.ggml.add_bos_token). */
  readonly addsBos: boolean;
  readonly vocabSize: number;
  /** A token's text as stored in the vocabulary (e.g. the EOS string a chat template ends a turn with). */
  tokenText(id: number): string;
}

/**
 * The tokenizer models (tokenizer.ggml.model) the engine's own tokenizer covers: 'llama', SentencePiece-style
 * vocabularies with byte fallback (Phi-3, Llama 2, Mistral, our demo model). Byte-level BPE ('gpt2': Qwen2.5,
 * Llama 3.x) and the others are tokenized by llama.cpp (llamaCppTokenizer).
 */
export const ENGINE_TOKENIZER_MODELS: readonly string[] = ['llama'];

/** Whether the engine's tokenizer covers this model's vocabulary (see ENGINE_TOKENIZER_MODELS). */
export function engineTokenizes(metadata: Record<string, GgufValue>): boolean {
  return ENGINE_TOKENIZER_MODELS.includes(String(metadata[TOKENIZER.model]));
}
