import type { LogprobsResult } from '../protocol/runtime.js';

/** The `logprobs` object of OpenAI's (legacy) completions API. */
export interface OpenAiLogprobs {
  tokens: string[];
  token_logprobs: Array<number | null>;
  /** For each token, the most likely alternatives at its position (piece → log-prob); null where none was asked. */
  top_logprobs: Array<Record<string, number> | null> | null;
  /** Character offset of each token in prompt + completion. */
  text_offset: number[];
}

/**
 * Tokens `from`… of a scored sequence in OpenAI's shape. `text` is what the tokens spell (prompt + completion):
 * offsets index into it, and a token whose piece is not there (BOS and other special tokens) takes no room.
 */
export function completionLogprobs(scored: LogprobsResult, from: number, text: string): OpenAiLogprobs {
  const out: OpenAiLogprobs = { tokens: [], token_logprobs: [], top_logprobs: scored.top ? [] : null, text_offset: [] };
  let at = 0;
  for (let i = 0; i < scored.tokens.length; i++) {
    const piece = scored.pieces[i] ?? '';
    const start = at;
    if (piece && text.startsWith(piece, at)) at += piece.length;
    if (i < from) continue;
    out.tokens.push(piece);
    out.token_logprobs.push(scored.logprobs[i] ?? null);
    out.text_offset.push(start);
    if (out.top_logprobs) {
      // top[i - 1] is the distribution that token i was drawn from
      const alternatives = i > 0 ? scored.top?.[i - 1] : undefined;
      out.top_logprobs.push(alternatives?.length ? Object.fromEntries(alternatives.map((a) => [a.piece, a.logprob])) : null);
    }
  }
  return out;
}
