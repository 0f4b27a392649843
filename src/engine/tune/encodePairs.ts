import type { TextTokenizer } from '../tokenizer/index.js';
import type { PairTexts } from './pairTexts.js';
import { TuneError } from './TuneError.js';

/** A pair as token ids: both sequences start with BOS and the shared prompt; training scores tokens from `start`. */
export interface EncodedPair {
  chosen: Int32Array;
  rejected: Int32Array;
  /** Index of the first completion token in each sequence (the prompt before it is masked out). */
  chosenStart: number;
  rejectedStart: number;
}

export interface EncodeResult {
  pairs: EncodedPair[];
  /** Pairs whose prompt was cut from the left to fit maxLength. */
  truncated: number;
  /** Pairs left out: an empty completion, or a completion alone longer than maxLength. */
  dropped: number;
  /** Of those dropped, the ones with an empty chosen or rejected completion (the rest were too long). */
  empty: number;
  /** The token limit the pairs were fitted to. */
  maxLength: number;
  /** Indices (into the input) of the pairs kept, in order. */
  kept: number[];
}

/**
 * Tokenizes pairs the way llama.cpp tokenizes the whole text (prompt + completion, BOS first): the completion is
 * what follows the longest common prefix with the prompt's own tokens, so a token that straddles the boundary
 * counts as completion. Over-long pairs lose prompt tokens from the left (after BOS), as TRL's keep-end.
 * Template-rendered pairs (parseSpecial) are read with the chat markers as their special tokens.
 */
export function encodePairs(texts: PairTexts[], tok: TextTokenizer, maxLength: number): EncodeResult {
  const out: EncodeResult = { pairs: [], truncated: 0, dropped: 0, empty: 0, maxLength, kept: [] };
  texts.forEach((t, i) => {
    const opts = { addBos: true, parseSpecial: t.parseSpecial === true };
    const prompt = tok.encode(t.prompt, opts);
    const one = (completion: string): { ids: number[]; start: number } | null => {
      const ids = tok.encode(t.prompt + completion, opts);
      let start = 0;
      while (start < prompt.length && start < ids.length && ids[start] === prompt[start]) start++;
      start = Math.max(1, start);
      return start < ids.length ? { ids, start } : null;
    };
    const c = one(t.chosen), r = one(t.rejected);
    if (!c || !r) { out.dropped++; out.empty++; return; }
    let cut = false;
    const fit = (s: { ids: number[]; start: number }): { ids: number[]; start: number } | null => {
      const over = s.ids.length - maxLength;
      if (over <= 0) return s;
      if (s.ids.length - s.start + 1 > maxLength) return null; // BOS + completion alone do not fit
      cut = true;
      const bos = s.ids[0] === tok.bosId && tok.addsBos ? 1 : 0;
      return { ids: [...s.ids.slice(0, bos), ...s.ids.slice(bos + over)], start: s.start - over };
    };
    const cf = fit(c), rf = fit(r);
    if (!cf || !rf) { out.dropped++; return; }
    if (cut) out.truncated++;
    out.pairs.push({ chosen: Int32Array.from(cf.ids), rejected: Int32Array.from(rf.ids), chosenStart: cf.start, rejectedStart: rf.start });
    out.kept.push(i);
  });
  return out;
}

/** The error when encoding left no pair to train on: how many were given, and why each kind was left out. */
export function noPairsLeftError(r: EncodeResult): TuneError {
  const tooLong = r.dropped - r.empty;
  const why = [
    r.empty ? `${r.empty} had an empty chosen or rejected answer` : '',
    tooLong ? `${tooLong} had an answer longer than the ${r.maxLength}-token limit` : '',
  ].filter(Boolean).join(', ');
  return new TuneError('TUNE_NO_PAIRS', `No training pairs are left of ${r.dropped}${why ? `: ${why}` : ''}; shorten the answers or give other pairs`);
}
