import { ModelLabError, throwIfAborted } from '../engine/errors.js';
import type { EvalModel, EvalProgress, EvalRuntime } from './EvalRuntime.js';

export interface PerplexityEvalResult {
  /** exp(total −log p / total tokens) over every file: each file weighs by its tokens */
  ppl: number;
  tokens: number;
  nll: number;
  files: Array<{ name: string; ppl: number; tokens: number; nll: number }>;
}

/**
 * Perplexity of each text and of all of them together, by llama.cpp: the same scoring as `model-lab ppl` (windows of
 * the context size overlapping by half), so a single file gives the same number.
 */
export async function perplexityEval(
  rt: EvalRuntime,
  model: EvalModel,
  texts: Array<{ name: string; text: string }>,
  opts: { contextSize?: number; signal?: AbortSignal; onProgress?: EvalProgress } = {},
): Promise<PerplexityEvalResult> {
  // Checked before any scoring so that a glob with one empty file fails at once, naming it (the runtime's own
  // refusal cannot say which file it was given).
  const empty = texts.find((t) => t.text.trim() === '');
  if (empty) throw new ModelLabError('EMPTY_TEXT', `${empty.name} is empty: nothing to score; give a file with some text`);
  const files: PerplexityEvalResult['files'] = [];
  let nll = 0;
  let tokens = 0;
  for (const [i, t] of texts.entries()) {
    throwIfAborted(opts.signal);
    opts.onProgress?.(i, texts.length, t.name);
    const r = await rt.perplexity({ modelId: model.modelId, lora: model.lora, text: t.text, contextSize: opts.contextSize }, opts.signal);
    files.push({ name: t.name, ppl: r.ppl, tokens: r.tokens, nll: r.nll });
    nll += r.nll;
    tokens += r.tokens;
  }
  opts.onProgress?.(texts.length, texts.length, 'done');
  return { ppl: Math.exp(nll / tokens), tokens, nll, files };
}
