import { TOKEN_TYPE } from '../gguf/metadataKeys.js';

/**
 * A small SentencePiece-style ("llama" tokenizer model) vocabulary: <unk>, <s>, </s>, the 256 byte tokens
 * <0x00>…<0xFF> (byte fallback, so any text round-trips), then ordinary pieces. Every piece's prefixes are in the
 * vocabulary too, so SPM's pairwise merging can reach every word.
 */
export interface SpmVocab {
  tokens: string[];
  scores: number[];
  /** 1 normal, 2 unknown, 3 control, 6 byte (llama.cpp's token types) */
  types: number[];
}


/** The words the synthetic vocabularies (SPM here, byte-level BPE in bpeVocab.ts) make whole tokens of. */
export const WORDS = (
  'the of and to in is it that for on with as was be at by this are or from an not but have they you he we his ' +
  'her she which one all can has more will if their there when so what about up out do no time model data text ' +
  'hello world code file line test value name new use make like just over also back after first two way even ' +
  'good well because any these give day most us'
).split(' ');

const SPACE = '\u2581';
export const CHAT_TOKENS = ['<|endoftext|>', '<|assistant|>', '<|system|>', '<|end|>', '<|user|>'];

export function spmVocab(): SpmVocab {
  const tokens: string[] = ['<unk>', '<s>', '</s>'];
  const types: number[] = [TOKEN_TYPE.UNKNOWN, TOKEN_TYPE.CONTROL, TOKEN_TYPE.CONTROL];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(TOKEN_TYPE.BYTE);
  }
  const pieces: string[] = [];
  const seen = new Set<string>();
  const add = (p: string): void => {
    if (!seen.has(p)) {
      seen.add(p);
      pieces.push(p);
    }
  };
  add(SPACE);
  for (const ch of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?\'"-:;()') add(ch);
  for (const w of WORDS) {
    const full = SPACE + w;
    for (let n = 2; n <= full.length; n++) add(full.slice(0, n));
  }
  // SPM merges the pair whose result has the highest score: longer pieces score higher so words win.
  const scores: number[] = [0, 0, 0, ...new Array<number>(256).fill(0)];
  for (const p of pieces) {
    tokens.push(p);
    types.push(TOKEN_TYPE.NORMAL);
    scores.push(-10 + p.length - tokens.length * 1e-3);
  }
  // Phi-3's chat markers as control tokens (llama.cpp's phi3 vocabulary setup looks them up by text)
  for (const special of CHAT_TOKENS) {
    tokens.push(special);
    types.push(TOKEN_TYPE.CONTROL);
    scores.push(0);
  }
  return { tokens, scores, types };
}
