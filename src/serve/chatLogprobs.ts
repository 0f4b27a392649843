import type { LogprobsResult } from '../protocol/runtime.js';

/** One alternative at a position of a chat reply, in OpenAI's shape. */
export interface OpenAiTopLogprob {
  token: string;
  logprob: number;
  /** The token's text as UTF-8 bytes (clients join them where a character spans tokens). */
  bytes: number[] | null;
}

/** One token of a chat reply with its log-prob and the most likely alternatives where it was drawn. */
export interface OpenAiTokenLogprob extends OpenAiTopLogprob {
  top_logprobs: OpenAiTopLogprob[];
}

/** The `logprobs` object of a chat completion choice. */
export interface OpenAiChatLogprobs {
  content: OpenAiTokenLogprob[];
  refusal: null;
}

function bytesOf(piece: string): number[] {
  return [...Buffer.from(piece, 'utf8')];
}

/**
 * Tokens `from`… of a scored sequence (conversation then reply) in the chat API's shape: `top` alternatives per
 * token, none with top 0. OpenAI's logprob is a number for every reply token; ours is too, as each has a context.
 */
export function chatLogprobs(scored: LogprobsResult, from: number, top: number): OpenAiChatLogprobs {
  const content: OpenAiTokenLogprob[] = [];
  for (let i = Math.max(1, from); i < scored.tokens.length; i++) {
    const token = scored.pieces[i] ?? '';
    // top[i - 1] is the distribution that token i was drawn from
    const alternatives = top > 0 ? (scored.top?.[i - 1] ?? []).slice(0, top) : [];
    content.push({
      token,
      logprob: scored.logprobs[i] ?? 0,
      bytes: bytesOf(token),
      top_logprobs: alternatives.map((a) => ({ token: a.piece, logprob: a.logprob, bytes: bytesOf(a.piece) })),
    });
  }
  return { content, refusal: null };
}
