import { TOKEN_TYPE } from '../gguf/metadataKeys.js';
import { WORDS } from './spmVocab.js';

/** A small byte-level BPE vocabulary in GGUF's form (tokenizer.ggml.model "gpt2"). */
export interface BpeVocab {
  tokens: string[];
  types: number[];
  /** "left right" pairs, highest priority first */
  merges: string[];
  bosId: number;
  eosId: number;
}

/**
 * The byte → character table of byte-level BPE (as GPT-2 defined it): printable Latin-1 bytes stand for themselves,
 * the other 68 bytes are shifted to U+0100 and up, so every token is printable text (a space is 'Ġ').
 */
export function byteLevelChars(): string[] {
  const out = new Array<string>(256);
  const printable = (b: number): boolean => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let shifted = 0;
  for (let b = 0; b < 256; b++) out[b] = String.fromCodePoint(printable(b) ? b : 256 + shifted++);
  return out;
}

/**
 * A byte-level BPE vocabulary llama.cpp loads as "gpt2": the 256 byte characters, then the pieces the merges build
 * (each word with and without a leading space, merged left to right), then <|begin|> (BOS) and <|endoftext|> (EOS)
 * as control tokens. The engine's SPM tokenizer does not cover it: training text for such a model is tokenized by
 * llama.cpp (what Qwen2.5 and Llama 3.2 need).
 */
export function bpeVocab(): BpeVocab {
  const tokens = byteLevelChars();
  const types: number[] = new Array<number>(256).fill(TOKEN_TYPE.NORMAL);
  const have = new Set(tokens);
  const merges: string[] = [];
  const rank = new Map<string, number>();
  const space = byteLevelChars()[0x20];
  for (const w of WORDS) {
    for (const word of [space + w, w]) {
      // run BPE with the merges so far (lowest rank first), then add merges that join what is left, left to
      // right: every word becomes one token, and words learned earlier keep their tokens (new merges rank last)
      let parts = [...word];
      for (;;) {
        let best = -1;
        for (let i = 0; i + 1 < parts.length; i++) {
          const r = rank.get(`${parts[i]} ${parts[i + 1]}`);
          if (r !== undefined && (best < 0 || r < rank.get(`${parts[best]} ${parts[best + 1]}`)!)) best = i;
        }
        if (best < 0) break;
        parts = [...parts.slice(0, best), parts[best] + parts[best + 1], ...parts.slice(best + 2)];
      }
      while (parts.length > 1) {
        const merge = `${parts[0]} ${parts[1]}`;
        rank.set(merge, merges.length);
        merges.push(merge);
        parts = [parts[0] + parts[1], ...parts.slice(2)];
        if (!have.has(parts[0])) { have.add(parts[0]); tokens.push(parts[0]); types.push(TOKEN_TYPE.NORMAL); }
      }
    }
  }
  const bosId = tokens.push('<|begin|>') - 1;
  const eosId = tokens.push('<|endoftext|>') - 1;
  types.push(TOKEN_TYPE.CONTROL, TOKEN_TYPE.CONTROL);
  return { tokens, types, merges, bosId, eosId };
}
