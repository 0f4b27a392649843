// A Compare column that runs on an OpenAI-compatible server (llama-server, Ollama, vLLM, `model-lab serve`):
// streamed completions over server-sent events, and prompt scoring where the server allows `echo` (ours does;
// llama-server refuses it, and the error says so).
import type { IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { SamplingSettings } from '../../protocol/webviewPlayground.js';

export interface EndpointSource {
  url: string;
  model: string;
  apiKey?: string;
}

export class EndpointError extends Error {
  readonly code = 'ENDPOINT_FAILED';
}

function base(url: string): string {
  const u = url.replace(/\/+$/, '');
  return /\/v1$/.test(u) ? u : `${u}/v1`;
}

/**
 * One POST on a connection of its own (node:http, no keep-alive pool): a long-lived event stream then never shares
 * a pooled socket with the next request. Resolves with the response once its status is known.
 */
function post(src: EndpointSource, route: string, body: unknown, signal: AbortSignal): Promise<IncomingMessage> {
  const url = new URL(`${base(src.url)}${route}`);
  const data = Buffer.from(JSON.stringify(body));
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      agent: false,
      signal,
      headers: {
        'content-type': 'application/json',
        'content-length': data.length,
        accept: 'application/json, text/event-stream',
        ...(src.apiKey ? { authorization: `Bearer ${src.apiKey}` } : {}),
      },
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (signal.aborted) reject(err);
      else reject(new EndpointError(`${src.url} cannot be reached (${err.code ?? err.message})`));
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) return resolve(res);
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d.length + text.length > 4096 ? '' : d));
      res.on('error', reject);
      res.on('end', () => {
        let message = text.slice(0, 300);
        try {
          message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
        } catch {
          // not JSON: keep the text
        }
        reject(new EndpointError(`${src.url} answered ${status}: ${message.split('\n')[0]}`));
      });
    });
    req.end(data);
  });
}

/** Reads `data:` events of a server-sent event stream up to `[DONE]` (or the end of the stream). */
async function* events(res: IncomingMessage): AsyncGenerator<Record<string, any>> {
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res as AsyncIterable<Buffer>) {
    buf += decoder.decode(chunk, { stream: true });
    let at: number;
    while ((at = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, at);
      buf = buf.slice(at + 2);
      for (const line of block.split('\n')) {
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') return;
        const event = JSON.parse(data) as Record<string, any>;
        if (event.error) throw new EndpointError(`the endpoint failed mid-stream: ${event.error.message ?? 'unknown error'}`);
        yield event;
      }
    }
  }
}

async function readJson(res: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of res as AsyncIterable<Buffer>) text += chunk.toString('utf8');
  return JSON.parse(text);
}

export interface EndpointResult {
  text: string;
  tokens: number;
  stopReason: string;
}

/** Streams one answer; chat through the server's own template, or a raw completion. */
export async function streamEndpoint(
  src: EndpointSource,
  req: { mode: 'chat' | 'complete'; prompt: string; sampling: SamplingSettings },
  onText: (text: string) => void,
  signal: AbortSignal,
): Promise<EndpointResult> {
  const common = {
    model: src.model, stream: true, stream_options: { include_usage: true },
    max_tokens: req.sampling.maxTokens, temperature: req.sampling.temperature, top_p: req.sampling.topP,
    ...(req.sampling.seed !== undefined ? { seed: req.sampling.seed } : {}),
  };
  const res = req.mode === 'chat'
    ? await post(src, '/chat/completions', { ...common, messages: [{ role: 'user', content: req.prompt }] }, signal)
    : await post(src, '/completions', { ...common, prompt: req.prompt }, signal);
  let text = '';
  let pieces = 0;
  let tokens: number | null = null;
  let finish = 'other';
  for await (const e of events(res)) {
    const choice = e.choices?.[0];
    const piece: string | undefined = req.mode === 'chat' ? choice?.delta?.content : choice?.text;
    if (piece) {
      text += piece;
      pieces++;
      onText(piece);
    }
    if (choice?.finish_reason) finish = choice.finish_reason === 'length' ? 'maxTokens' : 'eos';
    if (typeof e.usage?.completion_tokens === 'number') tokens = e.usage.completion_tokens;
  }
  return { text, tokens: tokens ?? pieces, stopReason: signal.aborted ? 'cancelled' : finish };
}

/** Per-token log-probs of `text` after `prompt`, by the server's `echo` scoring (`model-lab serve` has it). */
export async function scoreOnEndpoint(src: EndpointSource, prompt: string, text: string, signal: AbortSignal): Promise<{ pieces: string[]; logprobs: Array<number | null> }> {
  const res = await post(src, '/completions', { model: src.model, prompt: prompt + text, max_tokens: 0, echo: true, logprobs: 0 }, signal);
  const body = (await readJson(res)) as { choices?: Array<{ logprobs?: { tokens?: string[]; token_logprobs?: Array<number | null>; text_offset?: number[] } }> };
  const lp = body.choices?.[0]?.logprobs;
  if (!lp?.tokens || !lp.token_logprobs) throw new EndpointError(`${src.url} returned no prompt log-probs (the server does not support echo scoring)`);
  // the tokens that end after the prompt are the text's (one that straddles the two counts as the text's, as in
  // the runtime's own scoring)
  const offsets = lp.text_offset ?? [];
  let start = lp.tokens.findIndex((t, i) => (offsets[i] ?? 0) + t.length > prompt.length);
  if (start < 0) start = lp.tokens.length;
  return { pieces: lp.tokens.slice(start), logprobs: lp.token_logprobs.slice(start) };
}
