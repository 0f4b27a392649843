import { SPACE_MARK } from './TokenizerVocab.js';

/**
 * Splits space-escaped text ("▁" for space) into the chunks that BPE training counts as words. Learned tokens never
 * cross a chunk boundary, which keeps them meaningful for code:
 * - a newline run with the indentation after it ("\n▁▁▁▁") — code's most frequent string;
 * - an identifier or keyword with at most one leading space ("▁readonly", "getElementById");
 * - a number with at most one leading space;
 * - a run of punctuation with at most one leading space ("▁=>", "():", "▁*▁@");
 * - any other run of spaces.
 * Tokenizing text later (SpmTokenizer) needs no chunking: llama.cpp's SPM merges over the whole text.
 */
const CHUNK = new RegExp(
  [
    `\\n+${SPACE_MARK}*`,
    `${SPACE_MARK}?[A-Za-z_$][A-Za-z0-9_$]*`,
    `${SPACE_MARK}?[0-9]+`,
    `${SPACE_MARK}?[^A-Za-z0-9_$${SPACE_MARK}\\n]+`,
    `${SPACE_MARK}+`,
  ].join('|'),
  'gu',
);

export function splitIntoChunks(escaped: string): string[] {
  return escaped.match(CHUNK) ?? [];
}
