/**
 * An SPM-style ("llama") vocabulary as GGUF stores it: parallel arrays of token text, score and type, plus the
 * special ids and flags llama.cpp reads from `tokenizer.ggml.*`.
 */
export interface TokenizerVocab {
  /** Token text; spaces are written as "▁" (U+2581); byte tokens are "<0xXX>". */
  tokens: string[];
  /** Merge priority for llama.cpp's SPM tokenizer: a higher score merges first. */
  scores: number[];
  /** llama.cpp token types (TOKEN_TYPE below). */
  types: number[];
  bosId: number;
  eosId: number;
  unkId: number;
  addBos: boolean;
  addEos: boolean;
  /** When true llama.cpp prepends a space to the text (and strips it again when detokenizing). */
  addSpacePrefix: boolean;
  /**
   * Ids of special tokens after which llama.cpp drops whitespace when it cuts them out of text (its RSTRIP
   * attribute). GGUF does not store it: llama.cpp sets it from the model's name (see phi3StripAfter in
   * tokenizerGguf.ts). Absent: none.
   */
  stripAfter?: readonly number[];
}

/** llama.cpp's token types (the one table, with the other GGUF format facts). */
export { TOKEN_TYPE } from '../gguf/metadataKeys.js';

/** The character SPM vocabularies use for a space. */
export const SPACE_MARK = '\u2581';

/** Text of the byte-fallback token for byte b, as llama.cpp looks it up ("<0x0A>"). */
export function byteTokenText(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
}
