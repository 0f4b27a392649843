import { createHash } from 'node:crypto';
import type { GgufFile } from '../gguf/index.js';
import { TOKENIZER } from '../gguf/metadataKeys.js';
import { SpmTokenizer, tokenizerVocabFromGguf } from '../tokenizer/index.js';
import { CALIBRATION_SAMPLE } from './calibrationSample.js';
import { PruneError } from './PruneError.js';

/** Token windows the activation-based scores run the model on, and a hash of the text they came from. */
export interface CalibrationSet {
  /** token sequences of at most `window` tokens each (the first of each text starts with BOS when the model adds it) */
  sequences: number[][];
  tokens: number;
  /** SHA-256 over each text's name, NUL, text, NUL (stable for the same files in the same order) */
  sha256: string;
  /** what the text was: file names, or 'built-in sample' */
  source: string;
}

export interface CalibrationOptions {
  /** tokens per sequence (default 128) */
  window?: number;
  /** at most this many tokens in all (default 1024) */
  maxTokens?: number;
}

/**
 * Cuts calibration texts into token windows. `tokenize` is the model's own tokenizer (with BOS when the model adds
 * one). Throws PruneError when the texts give fewer than 2 tokens.
 */
export function calibrationFromTexts(texts: { name: string; text: string }[], tokenize: (text: string) => number[], opts: CalibrationOptions = {}): CalibrationSet {
  const window = opts.window ?? 128;
  const maxTokens = opts.maxTokens ?? 1024;
  if (!(window >= 2) || !(maxTokens >= 2)) throw new RangeError('calibration window and token budget must be at least 2');
  const h = createHash('sha256');
  for (const t of texts) h.update(t.name).update('\0').update(t.text).update('\0');
  const sequences: number[][] = [];
  let tokens = 0;
  for (const t of texts) {
    if (tokens >= maxTokens) break;
    const ids = tokenize(t.text);
    for (let o = 0; o < ids.length && tokens < maxTokens; o += window) {
      const seq = ids.slice(o, Math.min(ids.length, o + window, o + maxTokens - tokens));
      if (seq.length < 2) continue;
      sequences.push(seq);
      tokens += seq.length;
    }
  }
  if (tokens < 2) throw new PruneError('PRUNE_NO_CALIBRATION', 'the calibration text is empty: give a file with some text (--calib) or use the built-in sample');
  return { sequences, tokens, sha256: h.digest('hex'), source: texts.map((t) => t.name).join(', ') };
}

/**
 * Calibration windows for a model from texts (the built-in sample when none), tokenized with the model's own SPM
 * vocabulary; `tokenize` stands in for other tokenizers (the CLI passes llama.cpp's). Throws PruneError when the
 * model's tokenizer is not SPM and no tokenize function is given.
 */
export function calibrationForModel(file: GgufFile, texts: { name: string; text: string }[] | undefined,
  opts: CalibrationOptions & { tokenize?: (text: string) => number[] } = {}): CalibrationSet {
  const list = texts?.length ? texts : [{ name: 'built-in sample', text: CALIBRATION_SAMPLE }];
  if (opts.tokenize) return calibrationFromTexts(list, opts.tokenize, opts);
  if (file.metadata[TOKENIZER.model] !== 'llama') {
    throw new PruneError('PRUNE_TOKENIZER', `calibration text needs this model's '${String(file.metadata[TOKENIZER.model])}' tokenizer, which only the command line (llama.cpp) has: run model-lab prune`);
  }
  const tok = new SpmTokenizer(tokenizerVocabFromGguf(file.metadata));
  return calibrationFromTexts(list, (t) => tok.encode(t, { addBos: true }), opts);
}
