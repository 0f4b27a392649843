// Validation of the OpenAI request bodies we accept. A bad field is an HTTP 400 whose message names the field,
// as OpenAI's own API does; fields we do not implement are refused rather than silently ignored.
import type { ChatMessage } from '../protocol/runtime.js';

export class OpenAiRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param?: string,
    readonly type = status === 401 ? 'authentication_error' : status === 404 ? 'not_found_error' : 'invalid_request_error',
  ) {
    super(message);
  }
}

/** Sampling shared by both endpoints, in the runtime's terms. */
export interface SamplingRequest {
  model?: string;
  maxTokens: number;
  temperature: number;
  topP?: number;
  seed?: number;
  stop?: string[];
  stream: boolean;
  includeUsage: boolean;
}

export interface CompletionRequest extends SamplingRequest {
  prompt: string;
  echo: boolean;
  /** Top alternatives per token (0 = only the chosen token's log-prob); undefined = no log-probs. */
  logprobs?: number;
}

export interface ChatRequest extends SamplingRequest {
  messages: ChatMessage[];
  /** With `logprobs: true`: alternatives per token (`top_logprobs`, 0 by default); undefined = no log-probs. */
  topLogprobs?: number;
}

type Body = Record<string, unknown>;

function num(body: Body, name: string, opts: { min?: number; max?: number; integer?: boolean } = {}): number | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || (opts.integer && !Number.isInteger(v))) {
    throw new OpenAiRequestError(400, `'${name}' must be ${opts.integer ? 'an integer' : 'a number'}`, name);
  }
  if (opts.min !== undefined && v < opts.min) throw new OpenAiRequestError(400, `'${name}' must be at least ${opts.min}`, name);
  if (opts.max !== undefined && v > opts.max) throw new OpenAiRequestError(400, `'${name}' must be at most ${opts.max}`, name);
  return v;
}

function bool(body: Body, name: string): boolean {
  const v = body[name];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new OpenAiRequestError(400, `'${name}' must be true or false`, name);
  return v;
}

function stopList(body: Body): string[] | undefined {
  const v = body.stop;
  if (v === undefined || v === null) return undefined;
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length > 4 || list.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw new OpenAiRequestError(400, "'stop' must be a non-empty string or a list of up to 4 of them", 'stop');
  }
  return list as string[];
}

function sampling(body: Body, defaultMaxTokens: number, maxTokensNames: string[]): SamplingRequest {
  if (body.model !== undefined && typeof body.model !== 'string') throw new OpenAiRequestError(400, "'model' must be a string", 'model');
  const n = num(body, 'n', { integer: true, min: 1 });
  if (n !== undefined && n !== 1) throw new OpenAiRequestError(400, "only 'n': 1 is supported (one choice per request)", 'n');
  let maxTokens: number | undefined;
  for (const name of maxTokensNames) maxTokens ??= num(body, name, { integer: true, min: 0 });
  const options = body.stream_options;
  if (options !== undefined && options !== null && (typeof options !== 'object' || Array.isArray(options))) {
    throw new OpenAiRequestError(400, "'stream_options' must be an object", 'stream_options');
  }
  return {
    model: body.model as string | undefined,
    maxTokens: maxTokens ?? defaultMaxTokens,
    // OpenAI's default temperature is 1; 0 is greedy
    temperature: num(body, 'temperature', { min: 0, max: 2 }) ?? 1,
    topP: num(body, 'top_p', { min: 0, max: 1 }),
    seed: num(body, 'seed', { integer: true }),
    stop: stopList(body),
    stream: bool(body, 'stream'),
    includeUsage: (options as Body | undefined)?.include_usage === true,
  };
}

function asBody(value: unknown): Body {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new OpenAiRequestError(400, 'The request body must be a JSON object');
  return value as Body;
}

/** POST /v1/completions. OpenAI's default max_tokens there is 16. */
export function parseCompletionRequest(value: unknown): CompletionRequest {
  const body = asBody(value);
  let prompt = body.prompt;
  if (Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string') prompt = prompt[0];
  if (typeof prompt !== 'string') throw new OpenAiRequestError(400, "'prompt' must be a string (one prompt per request)", 'prompt');
  const logprobs = num(body, 'logprobs', { integer: true, min: 0, max: 20 });
  const req: CompletionRequest = { ...sampling(body, 16, ['max_tokens']), prompt, echo: bool(body, 'echo'), logprobs };
  if (req.maxTokens === 0 && !req.echo) throw new OpenAiRequestError(400, "'max_tokens': 0 needs 'echo': true (it scores the prompt)", 'max_tokens');
  if (req.prompt.length === 0) throw new OpenAiRequestError(400, "'prompt' is empty", 'prompt');
  if (req.stream && req.logprobs !== undefined) throw new OpenAiRequestError(400, "'logprobs' is not supported with 'stream': ask without streaming", 'logprobs');
  return req;
}

function messageContent(value: unknown, i: number): string {
  if (typeof value === 'string') return value;
  // content parts: only text parts can reach a text model
  if (Array.isArray(value) && value.every((p) => typeof p === 'object' && p !== null && (p as Body).type === 'text' && typeof (p as Body).text === 'string')) {
    return value.map((p) => (p as Body).text as string).join('');
  }
  throw new OpenAiRequestError(400, `'messages[${i}].content' must be a string or a list of text parts`, `messages[${i}].content`);
}

/** POST /v1/chat/completions. Without max_tokens the reply may run to 512 tokens. */
export function parseChatRequest(value: unknown): ChatRequest {
  const body = asBody(value);
  const raw = body.messages;
  if (!Array.isArray(raw) || raw.length === 0) throw new OpenAiRequestError(400, "'messages' must be a non-empty list", 'messages');
  const messages = raw.map((m, i): ChatMessage => {
    const role = (m as Body | null)?.role;
    // 'developer' is OpenAI's newer name for the system role
    const mapped = role === 'developer' ? 'system' : role;
    if (mapped !== 'system' && mapped !== 'user' && mapped !== 'assistant') {
      throw new OpenAiRequestError(400, `'messages[${i}].role' must be system, developer, user or assistant`, `messages[${i}].role`);
    }
    return { role: mapped, content: messageContent((m as Body).content, i) };
  });
  if (messages.at(-1)!.role !== 'user') throw new OpenAiRequestError(400, 'The last message must be from the user', 'messages');
  if (body.tools !== undefined && body.tools !== null) throw new OpenAiRequestError(400, "'tools' is not supported", 'tools');
  // chat's logprobs is a switch and top_logprobs the count (the legacy completions API has one number for both)
  const logprobs = bool(body, 'logprobs');
  const top = num(body, 'top_logprobs', { integer: true, min: 0, max: 20 });
  if (top !== undefined && !logprobs) throw new OpenAiRequestError(400, "'top_logprobs' needs 'logprobs': true", 'top_logprobs');
  const req: ChatRequest = { ...sampling(body, 512, ['max_completion_tokens', 'max_tokens']), messages, ...(logprobs ? { topLogprobs: top ?? 0 } : {}) };
  if (req.maxTokens === 0) throw new OpenAiRequestError(400, "'max_tokens' must be at least 1", 'max_tokens');
  if (req.stream && logprobs) throw new OpenAiRequestError(400, "'logprobs' is not supported with 'stream': ask without streaming", 'logprobs');
  return req;
}
