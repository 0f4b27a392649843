import type { LlamaContextSequence, Token } from 'node-llama-cpp';
import { throwIfAborted } from '../../engine/errors.js';

export interface TokenScores {
  /** logprobs[i] = ln p(tokens[i] | tokens[start(i)..i-1]); null for tokens[0] */
  logprobs: Array<number | null>;
  /** top[i] (with opts.top): the k most likely tokens after tokens[..i] */
  top?: Array<Array<{ token: number; logprob: number }>>;
  windows: number;
}

/**
 * Context options under which llama.cpp scores at full precision: an F32 KV cache and no flash attention. The
 * defaults (F16 cache, flash attention) move its own per-token log-probs by up to ~1e-2. Log-probs, perplexity and
 * every comparison with our engine use these.
 */
export const EXACT_SCORING_CONTEXT = {
  flashAttention: false,
  experimentalKvCacheKeyType: 'F32',
  experimentalKvCacheValueType: 'F32',
} as const;

/** Positions asked per controlledEvaluate call: each carries a full-vocabulary Map (32k entries for Phi-3). */
const POSITIONS_PER_CALL = 64;

/**
 * Natural-log probability of every token given the ones before it, from llama.cpp's full-vocabulary softmax
 * (temperature 0: no top-k/top-p truncation). Texts longer than `window` tokens are scored in windows that
 * overlap by half, so every token after the first window keeps at least window/2 tokens of context, and each
 * token is scored exactly once (the first window's first token has no score).
 */
export async function scoreTokens(
  sequence: LlamaContextSequence,
  tokens: number[],
  opts: { window: number; top?: number; signal?: AbortSignal },
): Promise<TokenScores> {
  const n = tokens.length;
  const window = Math.max(2, Math.floor(opts.window));
  const logprobs: Array<number | null> = new Array(n).fill(null);
  const top = opts.top ? Array.from({ length: n }, () => [] as Array<{ token: number; logprob: number }>) : undefined;
  let next = 1; // first token not scored yet
  let windows = 0;
  while (next < n || (windows === 0 && top)) {
    const start = windows === 0 ? 0 : next - Math.floor(window / 2);
    const end = Math.min(n, start + window);
    await sequence.clearHistory();
    windows++;
    // Distributions are needed after positions next-1 … end-2 (and after end-1 for `top`).
    const lastOut = top ? end - 1 : end - 2;
    for (let from = start; from < end; from += POSITIONS_PER_CALL) {
      throwIfAborted(opts.signal);
      const to = Math.min(end, from + POSITIONS_PER_CALL);
      const input = [];
      for (let p = from; p < to; p++) {
        const wanted = p >= next - 1 && p <= lastOut;
        input.push(wanted ? ([tokens[p] as Token, { generateNext: { probabilities: true, options: { temperature: 0 } } }] as const) : (tokens[p] as Token));
      }
      const out = await sequence.controlledEvaluate(input as Parameters<LlamaContextSequence['controlledEvaluate']>[0]);
      for (let p = from; p < to; p++) {
        const probs = out[p - from]?.next.probabilities;
        if (!probs) continue;
        if (p + 1 < end && p + 1 >= next) logprobs[p + 1] = Math.log(probs.get(tokens[p + 1] as Token) ?? 0);
        if (top && p >= next - 1) {
          const k: Array<{ token: number; logprob: number }> = [];
          for (const [token, prob] of probs) {
            if (k.length >= opts.top!) break; // the Map is sorted, most likely first
            k.push({ token, logprob: Math.log(prob) });
          }
          top[p] = k;
        }
      }
    }
    if (end >= n) break;
    next = end;
  }
  return { logprobs, top, windows };
}
