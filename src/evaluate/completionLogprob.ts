import type { EvalRuntime } from './EvalRuntime.js';

/**
 * Summed natural-log probability of `completion` after `prompt`, by llama.cpp on a session: the text is scored
 * whole and the tokens after the longest common prefix with the prompt's own tokenization are summed (a completion
 * may merge with the prompt's last token; those tokens then count as the completion's). With parseSpecial (a chat
 * template's rendering) both are tokenized with the markers as special tokens.
 */
export async function completionLogprob(
  rt: EvalRuntime,
  target: { sessionId: string; modelId: string },
  prompt: string,
  completion: string,
  signal?: AbortSignal,
  parseSpecial = false,
): Promise<{ logprob: number; tokens: number }> {
  const promptTokens = (await rt.tokenize({ modelId: target.modelId, text: prompt, addBos: true, parseSpecial })).tokens;
  const r = await rt.logprobs({ sessionId: target.sessionId, text: prompt + completion, parseSpecial }, signal);
  let start = 0;
  while (start < promptTokens.length && r.tokens[start] === promptTokens[start]) start++;
  let sum = 0;
  let n = 0;
  for (let i = Math.max(1, start); i < r.logprobs.length; i++) {
    sum += r.logprobs[i] ?? 0;
    n++;
  }
  return { logprob: sum, tokens: n };
}

/** Runs fn on a fresh session of the model (with its adapter), disposed afterwards; `scoring` for exact log-probs. */
export async function withSession<T>(
  rt: EvalRuntime,
  params: { id: string; modelId: string; lora?: Array<{ path: string; scale?: number }>; contextSize?: number; scoring?: boolean },
  signal: AbortSignal | undefined,
  fn: (sessionId: string) => Promise<T>,
): Promise<T> {
  await rt.createSession({ id: params.id, modelId: params.modelId, lora: params.lora, contextSize: params.contextSize, scoring: params.scoring }, signal);
  try {
    return await fn(params.id);
  } finally {
    await rt.disposeSession(params.id);
  }
}
