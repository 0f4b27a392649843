import { throwIfAborted } from '../engine/errors.js';
import { completionLogprob, withSession } from './completionLogprob.js';
import type { EvalModel, EvalProgress, EvalRuntime } from './EvalRuntime.js';

/** A preference pair as text: the prompt and the two completions that follow it. */
export interface PairText {
  prompt: string;
  chosen: string;
  rejected: string;
  /** A chat template's rendering (message-list pairs): scored with its markers as special tokens. */
  parseSpecial?: boolean;
}

export interface PreferenceAccuracyResult {
  /** share of pairs whose chosen completion the model finds likelier (ties count half) */
  accuracy: number;
  pairs: number;
  /** mean of log p(chosen) − log p(rejected), natural log */
  meanMargin: number;
  margins: number[];
}

/**
 * Preference accuracy by llama.cpp's log-probabilities: for each pair, the summed log-probability of the chosen and
 * of the rejected completion after the shared prompt, under the model (with its adapter, if any). One session for
 * all pairs: creating a context per text costs more than scoring it.
 */
export async function preferenceAccuracy(
  rt: EvalRuntime,
  model: EvalModel,
  pairs: PairText[],
  opts: { contextSize?: number; signal?: AbortSignal; onProgress?: EvalProgress; sessionId?: string } = {},
): Promise<PreferenceAccuracyResult> {
  if (pairs.length === 0) return { accuracy: NaN, pairs: 0, meanMargin: NaN, margins: [] };
  const id = opts.sessionId ?? `pref-accuracy-${model.modelId}-${Math.random().toString(36).slice(2, 8)}`;
  return withSession(rt, { id, modelId: model.modelId, lora: model.lora, contextSize: opts.contextSize, scoring: true }, opts.signal, async (sessionId) => {
    const target = { sessionId, modelId: model.modelId };
    const margins: number[] = [];
    let wins = 0;
    for (const [i, p] of pairs.entries()) {
      throwIfAborted(opts.signal);
      opts.onProgress?.(i, pairs.length, 'pairs');
      const chosen = await completionLogprob(rt, target, p.prompt, p.chosen, opts.signal, p.parseSpecial === true);
      const rejected = await completionLogprob(rt, target, p.prompt, p.rejected, opts.signal, p.parseSpecial === true);
      const margin = chosen.logprob - rejected.logprob;
      margins.push(margin);
      wins += margin > 0 ? 1 : margin === 0 ? 0.5 : 0;
    }
    opts.onProgress?.(pairs.length, pairs.length, 'pairs');
    return { accuracy: wins / pairs.length, pairs: pairs.length, meanMargin: margins.reduce((a, b) => a + b, 0) / margins.length, margins };
  });
}
