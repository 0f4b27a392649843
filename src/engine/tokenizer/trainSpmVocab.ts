import { throwIfAborted } from '../errors.js';
import { TokenizerError } from './SpmTokenizer.js';
import { splitIntoChunks } from './splitIntoChunks.js';
import { SPACE_MARK, TOKEN_TYPE, byteTokenText, type TokenizerVocab } from './TokenizerVocab.js';

export interface TrainSpmVocabOptions {
  /** Total vocabulary size: 3 special + 256 byte tokens + characters + merges. */
  vocabSize: number;
  /** Characters seen fewer times than this are left to byte fallback (default 10). */
  minCharCount?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

const SPECIALS = ['<unk>', '<s>', '</s>'];

/**
 * Learns an SPM-style vocabulary with byte-pair encoding: start from characters, repeatedly make the most frequent
 * adjacent pair (within a chunk, see splitIntoChunks) a new token. Scores are minus the merge rank, so llama.cpp's
 * SPM tokenizer, which merges the highest-scored pair first, replays the merges in the order they were learned.
 * Layout: <unk>=0, <s>=1 (BOS), </s>=2 (EOS), <0x00>…<0xFF>, characters (most frequent first), merges.
 * Deterministic: ties go to the pair that was first seen.
 */
export function trainSpmVocab(texts: readonly string[], opts: TrainSpmVocabOptions): TokenizerVocab {
  const minChar = opts.minCharCount ?? 10;

  // Count chunks (words) over all texts.
  const wordCounts = new Map<string, number>();
  for (const text of texts) {
    throwIfAborted(opts.signal);
    for (const w of splitIntoChunks(text.replaceAll(' ', SPACE_MARK))) wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
  }

  // Alphabet: characters frequent enough to deserve a token of their own.
  const charCounts = new Map<string, number>();
  for (const [w, c] of wordCounts) for (const ch of w) charCounts.set(ch, (charCounts.get(ch) ?? 0) + c);
  const alphabet = [...charCounts.entries()]
    .filter(([, c]) => c >= minChar)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([ch]) => ch);

  const fixed = SPECIALS.length + 256 + alphabet.length;
  const nMerges = opts.vocabSize - fixed;
  if (nMerges < 0) throw new TokenizerError('TOKENIZER_VOCAB_SIZE', `Vocabulary size ${opts.vocabSize} is below the ${fixed} fixed tokens.`);

  // Pieces: training-local ids; the characters first.
  const pieces: string[] = [...alphabet];
  const pieceId = new Map<string, number>(alphabet.map((ch, i) => [ch, i]));

  // Words as piece-id sequences; a character outside the alphabet splits the word (it will be bytes).
  const words: number[][] = [];
  const counts: number[] = [];
  for (const [w, c] of wordCounts) {
    let cur: number[] = [];
    for (const ch of w) {
      const id = pieceId.get(ch);
      if (id === undefined) {
        if (cur.length > 1) {
          words.push(cur);
          counts.push(c);
        }
        cur = [];
      } else cur.push(id);
    }
    if (cur.length > 1) {
      words.push(cur);
      counts.push(c);
    }
  }

  const KEY = 1 << 20; // pair key = a·KEY + b; pieces stay far below 2^20
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addWord = (wi: number, sign: 1 | -1): void => {
    const w = words[wi]!;
    const c = counts[wi]! * sign;
    for (let i = 0; i + 1 < w.length; i++) {
      const key = w[i]! * KEY + w[i + 1]!;
      pairCount.set(key, (pairCount.get(key) ?? 0) + c);
      let set = pairWords.get(key);
      if (sign > 0) {
        if (!set) pairWords.set(key, (set = new Set()));
        set.add(wi);
      } else set?.delete(wi);
    }
  };
  for (let wi = 0; wi < words.length; wi++) addWord(wi, 1);

  const merges: string[] = [];
  while (merges.length < nMerges) {
    if (merges.length % 64 === 0) {
      throwIfAborted(opts.signal);
      opts.onProgress?.(merges.length, nMerges);
    }
    let bestKey = -1;
    let bestCount = 1; // a pair seen once is not worth a token
    for (const [key, c] of pairCount) {
      if (c > bestCount) {
        bestKey = key;
        bestCount = c;
      }
    }
    if (bestKey < 0) break;
    const a = Math.floor(bestKey / KEY);
    const b = bestKey % KEY;
    const text = pieces[a]! + pieces[b]!;
    let id = pieceId.get(text);
    if (id === undefined) {
      id = pieces.length;
      pieces.push(text);
      pieceId.set(text, id);
      merges.push(text);
    }
    for (const wi of [...pairWords.get(bestKey)!]) {
      addWord(wi, -1);
      const w = words[wi]!;
      const merged: number[] = [];
      for (let i = 0; i < w.length; i++) {
        if (i + 1 < w.length && w[i] === a && w[i + 1] === b) {
          merged.push(id);
          i++;
        } else merged.push(w[i]!);
      }
      words[wi] = merged;
      addWord(wi, 1);
    }
    pairCount.delete(bestKey);
    pairWords.delete(bestKey);
  }
  opts.onProgress?.(nMerges, nMerges);

  const tokens = [...SPECIALS];
  const scores = SPECIALS.map(() => 0);
  const types: number[] = [TOKEN_TYPE.UNKNOWN, TOKEN_TYPE.CONTROL, TOKEN_TYPE.CONTROL];
  const add = (text: string, score: number, type: number): void => {
    tokens.push(text);
    scores.push(score);
    types.push(type);
  };
  for (let b = 0; b < 256; b++) add(byteTokenText(b), 0, TOKEN_TYPE.BYTE);
  // Characters never merge as a pair, so their score only has to stay below every merge's.
  alphabet.forEach((ch, i) => add(ch, -(merges.length + 1 + i), TOKEN_TYPE.NORMAL));
  merges.forEach((m, r) => add(m, -(r + 1), TOKEN_TYPE.NORMAL));
  return { tokens, scores, types, bosId: 1, eosId: 2, unkId: 0, addBos: true, addEos: false, addSpacePrefix: false };
}
