/**
 * Generate Alternatives' prompt sized to the model's context: the instruction, the selection and the code around it,
 * plus the answer's budget, must fit in the session's window, or the runtime refuses the conversation (chat) or
 * the reply stops before it starts (raw completion). The code around the selection is what gives way: it is cut
 * (at line starts, nearest code kept) until the prompt's tokens, counted by the model's own tokenizer, fit.
 */
import { ModelLabError } from '../../engine/errors.js';
import { chooseContextSize } from '../../protocol/contextSize.js';
import type { LoadedModel, ModelRuntime } from '../runtime/ModelRuntime.js';
import { buildAlternativesPrompt, CONTEXT_AFTER, CONTEXT_BEFORE, type AlternativesInput, type AlternativesOptions, type AlternativesPrompt } from './buildAlternativesPrompt.js';

/**
 * Tokens kept free for what a chat template adds around the user turn (BOS, role markers, end-of-turn, the
 * assistant's opening: 7 with Phi-3's template, about 10 with ChatML) and a short default system text some
 * templates insert on their own.
 */
export const CHAT_TEMPLATE_RESERVE = 32;

/** The search is over characters kept before the selection; after it, the same share of CONTEXT_AFTER. */
const STEPS = CONTEXT_BEFORE;

export interface PromptBudget {
  /** The session's context in tokens (chooseContextSize of the setting and the model's trained context). */
  contextSize: number;
  /** Tokens the answer may take (modelLab.label.maxTokens). */
  maxTokens: number;
  /** The model's token count of a text, BOS included when the model adds one. */
  countTokens: (text: string) => Promise<number>;
}

export async function fitAlternativesPrompt(input: AlternativesInput, opts: AlternativesOptions, budget: PromptBudget, signal?: AbortSignal): Promise<AlternativesPrompt> {
  const room = budget.contextSize - budget.maxTokens - (opts.chat ? CHAT_TEMPLATE_RESERVE : 0);
  const at = (step: number): AlternativesPrompt =>
    buildAlternativesPrompt(input, { ...opts, keepBefore: Math.floor((CONTEXT_BEFORE * step) / STEPS), keepAfter: Math.floor((CONTEXT_AFTER * step) / STEPS) });
  const fits = async (p: AlternativesPrompt): Promise<boolean> => {
    signal?.throwIfAborted();
    return (await budget.countTokens(p.prompt)) <= room;
  };
  const full = at(STEPS);
  if (await fits(full)) return full;
  // The largest share that fits (the count grows with the share; about 11 counts); with none, only the selection.
  let lo = 0;
  let hi = STEPS;
  if (!(await fits(at(0)))) {
    const least = await budget.countTokens(at(0).prompt);
    throw new ModelLabError('PROMPT_TOO_LONG',
      `Generate Alternatives needs ${least} tokens for the ${opts.chat ? 'instruction and selection' : 'prompt'} and ${budget.maxTokens} for the answer; the context holds ${budget.contextSize}${opts.chat ? ` (${CHAT_TEMPLATE_RESERVE} kept for the chat template)` : ''}: select less, shorten modelLab.label.instruction or lower modelLab.label.maxTokens`);
  }
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (await fits(at(mid))) lo = mid;
    else hi = mid;
  }
  return at(lo);
}

/**
 * The prompt for a loaded model, fitted with the runtime's tokenizer to the context a session of it gets
 * (chooseContextSize of `modelLab.contextSize` and the model's trained context). A runtime without a tokenizer (unit
 * tests' stubs) gets the prompt uncut.
 */
export async function alternativesPromptFor(input: AlternativesInput, opts: AlternativesOptions, model: { runtime: ModelRuntime; info: LoadedModel; contextSetting: number; maxTokens: number }, signal?: AbortSignal): Promise<AlternativesPrompt> {
  const tokenizer = model.runtime.evalRuntime?.();
  if (!tokenizer) return buildAlternativesPrompt(input, opts);
  const countTokens = async (text: string): Promise<number> => (await tokenizer.tokenize({ modelId: model.info.handle, text, addBos: true })).tokens.length;
  const contextSize = chooseContextSize(model.contextSetting, model.info.trainContextSize).size;
  return fitAlternativesPrompt(input, opts, { contextSize, maxTokens: model.maxTokens, countTokens }, signal);
}
