import type { LlamaChatSession, LlamaCompletion, LlamaContextSequence, Token } from 'node-llama-cpp';
import { ModelLabError } from '../../engine/errors.js';
import type { GenerateChunk, GenerateResult, SamplingOptions, StopReason } from '../../protocol/runtime.js';

export interface GenerateTextInput extends SamplingOptions {
  generationId: string;
  prompt: string;
  signal?: AbortSignal;
  onChunk?: (chunk: GenerateChunk) => void;
}

export type GenerateTarget =
  /** promptTokens: the prompt as the model tokenizes it, without BOS (LlamaCompletion prepends it) */
  | { mode: 'completion'; completion: LlamaCompletion; sequence: LlamaContextSequence; promptTokens: Token[]; addsBos: boolean;
    isEog: (t: number) => boolean; detokenize: (ids: number[], before: number[]) => string }
  | { mode: 'chat'; chat: LlamaChatSession; sequence: LlamaContextSequence };

const stopReasons: Record<string, StopReason> = {
  maxTokens: 'maxTokens',
  eogToken: 'eos',
  stopGenerationTrigger: 'eos',
  customStopTrigger: 'stopString',
  abort: 'cancelled',
  contextFull: 'contextFull',
};

/**
 * Streams one generation. Chunks pair each piece of text with the tokens that produced it; timings are taken
 * here, next to llama.cpp, so the figures do not include IPC.
 */
export async function generateText(target: GenerateTarget, input: GenerateTextInput): Promise<GenerateResult> {
  const started = performance.now();
  let firstAt = 0;
  let lastAt = 0;
  const tokens: number[] = [];
  let pending: number[] = [];
  let streamed = '';
  const inputBefore = target.sequence.tokenMeter.usedInputTokens;

  const onToken = (t: Token[]): void => {
    const now = performance.now();
    if (tokens.length === 0) firstAt = now;
    lastAt = now;
    for (const x of t) tokens.push(x);
    pending.push(...t);
  };
  const onTextChunk = (text: string): void => {
    // a completion's chunks are detokenized after what came before, as its text is: node-llama-cpp drops the first
    // chunk's SPM space prefix, so the stream would not add up to the returned text
    if (target.mode === 'completion') {
      const end = tokens.length - pending.length;
      text = target.detokenize(pending, [...target.promptTokens.slice(-4), ...tokens.slice(Math.max(0, end - 4), end)]);
    }
    streamed += text;
    input.onChunk?.({ generationId: input.generationId, text, tokens: pending });
    pending = [];
  };
  const common = {
    onToken,
    onTextChunk,
    signal: input.signal,
    stopOnAbortSignal: true,
    maxTokens: input.maxTokens ?? 256,
    temperature: input.temperature ?? 0.8,
    topK: input.topK,
    topP: input.topP,
    minP: input.minP,
    seed: input.seed,
    repeatPenalty: input.repeatPenalty && input.repeatPenalty !== 1 ? { penalty: input.repeatPenalty, lastTokens: 64 } : (false as const),
    customStopTriggers: input.stop?.length ? input.stop : undefined,
  };

  let text: string;
  let reason: string;
  let promptTokens: number;
  let chatContextTokens: number[] | undefined;
  if (target.mode === 'completion') {
    promptTokens = target.promptTokens.length + (target.addsBos ? 1 : 0);
    // A raw completion ends where the window does, with that reason: node-llama-cpp would otherwise shift the
    // context (dropping the start of the prompt) without saying so.
    const contextSize = target.sequence.contextSize;
    const room = contextSize - promptTokens;
    if (room <= 0) {
      throw new ModelLabError('CONTEXT_FULL', `The prompt is ${promptTokens} tokens and the context holds ${contextSize}: shorten the prompt or raise modelLab.contextSize (up to the model's trained context)`);
    }
    const asked = common.maxTokens;
    const maxTokens = Math.min(asked, room);
    // tokens, not text: LlamaCompletion would drop the SPM space prefix that llama.cpp (and our logprobs) keep
    const sampled: number[] = [];
    const r = await recordingSampled(target.sequence, sampled, () =>
      target.completion.generateCompletionWithMeta(target.promptTokens, { ...common, maxTokens, disableContextShift: true }));
    text = r.response;
    reason = r.metadata.stopReason === 'maxTokens' && maxTokens < asked ? 'contextFull' : r.metadata.stopReason;
    // node-llama-cpp reports a token that ends inside a UTF-8 character only once the character is complete, and
    // never when generation stops first (byte-level BPE: Qwen, Llama 3): count and return the ids it sampled, less
    // the end-of-generation token. A stop string's tokens stay out, as the text leaves out the stop string.
    // It also samples past maxTokens while a character is unfinished: the ids and the text end at maxTokens.
    if (reason !== 'customStopTrigger') {
      const last = sampled.at(-1);
      if (last !== undefined && target.isEog(last)) sampled.pop();
      if (sampled.length > maxTokens) reason = maxTokens < asked ? 'contextFull' : 'maxTokens';
      tokens.length = 0;
      tokens.push(...sampled.slice(0, maxTokens));
      text = target.detokenize(tokens, target.promptTokens.slice(-4));
    }
  } else {
    // A chat reply also ends where the window does: node-llama-cpp would otherwise erase the start of the
    // conversation to make room and go on (up to max tokens, many windows long) without saying so.
    const window = new AbortController();
    const sequence = target.sequence;
    const r = await target.chat.promptWithMeta(input.prompt, {
      ...common,
      signal: input.signal ? AbortSignal.any([input.signal, window.signal]) : window.signal,
      onToken: (t: Token[]) => {
        onToken(t);
        if (sequence.nextTokenIndex + 1 >= sequence.contextSize) window.abort();
      },
    });
    text = r.responseText;
    reason = window.signal.aborted && !input.signal?.aborted ? 'contextFull' : r.stopReason;
    // the templated prompt is not visible here; count what was evaluated as input
    promptTokens = target.sequence.tokenMeter.usedInputTokens - inputBefore;
    chatContextTokens = contextBeforeReply(sequence.contextTokens, tokens);
  }
  // what the stream has not said yet: held-back tokens, and the end of a character cut by the end of generation
  // (the returned text decodes it as U+FFFD); the stream adds up to the text whenever it is a prefix of it
  const rest = text.startsWith(streamed) ? text.slice(streamed.length) : '';
  if (pending.length || rest) input.onChunk?.({ generationId: input.generationId, text: rest, tokens: pending });
  const end = performance.now();
  const decodeSeconds = (lastAt - firstAt) / 1000;
  return {
    generationId: input.generationId,
    text,
    tokens,
    promptTokens,
    ...(chatContextTokens ? { chatContextTokens } : {}),
    stopReason: stopReasons[reason] ?? 'other',
    timeToFirstTokenMs: tokens.length ? firstAt - started : end - started,
    tokensPerSecond: tokens.length > 1 && decodeSeconds > 0 ? (tokens.length - 1) / decodeSeconds : 0,
    totalMs: end - started,
  };
}

/**
 * The sequence's tokens before the reply: the sequence ends with the reply's tokens, all but possibly the last (a
 * sampled token is evaluated only when generation goes on). Undefined when it does not end so.
 */
function contextBeforeReply(context: readonly number[], reply: readonly number[]): number[] | undefined {
  for (const k of [reply.length, reply.length - 1]) {
    if (k < 0 || k > context.length) continue;
    const at = context.length - k;
    let same = true;
    for (let i = 0; i < k && same; i++) same = context[at + i] === reply[i];
    if (same) return context.slice(0, at);
  }
  return undefined;
}

/**
 * Runs `fn` with the sequence's token evaluation observed: every token it samples is pushed to `into`, as sampled
 * (node-llama-cpp has no other way to see the ids it holds back). The sequence is restored afterwards.
 */
async function recordingSampled<T>(sequence: LlamaContextSequence, into: number[], fn: () => Promise<T>): Promise<T> {
  const own = Object.prototype.hasOwnProperty.call(sequence, 'evaluate');
  const original = sequence.evaluate;
  sequence.evaluate = function (this: LlamaContextSequence, ...args: Parameters<LlamaContextSequence['evaluate']>) {
    const inner = original.apply(this, args);
    return (async function* () {
      for await (const t of inner) {
        into.push(t);
        yield t;
      }
    })();
  } as LlamaContextSequence['evaluate'];
  try {
    return await fn();
  } finally {
    if (own) sequence.evaluate = original;
    else delete (sequence as { evaluate?: unknown }).evaluate;
  }
}
