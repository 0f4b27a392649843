// An OpenAI-compatible HTTP server over one loaded model: GET /v1/models, POST /v1/chat/completions and
// POST /v1/completions, streamed (server-sent events) or not. Beyond llama-server, /v1/completions with `echo: true`
// and `max_tokens: 0` scores the prompt: per-token log-probs from the same full-precision scoring path as
// `model-lab logprobs`. Requests wait in one queue (one llama.cpp session); a client that disconnects cancels its
// generation or leaves the queue.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AbortedError, ModelLabError } from '../engine/errors.js';
import type { GenerateResult, LoraAdapterRef, StopReason } from '../protocol/runtime.js';
import type { LlamaRuntime } from '../runtime/core/LlamaRuntime.js';
import { RequestQueue } from './RequestQueue.js';
import { chatLogprobs, type OpenAiChatLogprobs } from './chatLogprobs.js';
import { completionLogprobs, type OpenAiLogprobs } from './completionLogprobs.js';
import { streamedPieces } from './streamedPieces.js';
import { OpenAiRequestError, parseChatRequest, parseCompletionRequest, type ChatRequest, type CompletionRequest, type SamplingRequest } from './openAiRequests.js';

export interface OpenAiServerOptions {
  runtime: LlamaRuntime;
  /** The runtime's id of the loaded model. */
  modelId: string;
  /** The name clients see in /v1/models and send as `model`. */
  modelName: string;
  /** A session of that model (with its adapters) that this server may reset and use. */
  sessionId: string;
  lora?: LoraAdapterRef[];
  host: string;
  port: number;
  /** Required as `Authorization: Bearer <key>` when set. */
  apiKey?: string;
  /** One line per request (method, path, status, time, why it stopped). */
  log?: (line: string) => void;
}

const MAX_BODY_BYTES = 8 << 20;

/** OpenAI's words: 'length' when a limit (max_tokens or the context) cut the answer, else 'stop'. */
function finishReason(reason: StopReason): 'stop' | 'length' {
  return reason === 'maxTokens' || reason === 'contextFull' ? 'length' : 'stop';
}

export class OpenAiServer {
  private server?: Server;
  private readonly queue = new RequestQueue();
  private readonly running = new Set<AbortController>();
  private readonly created = Math.floor(Date.now() / 1000);

  constructor(private readonly opts: OpenAiServerOptions) {}

  /** Starts listening; resolves with the base URL (ending in /v1). */
  async listen(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    const { address, port } = server.address() as AddressInfo;
    const host = address.includes(':') ? `[${address}]` : address;
    return `http://${host}:${port}/v1`;
  }

  /** Stops accepting connections, cancels what is running and waiting, and resolves when the server is closed. */
  async close(): Promise<void> {
    for (const c of this.running) c.abort();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const controller = new AbortController();
    // 'close' before the response ended: the client went away; stop its generation (or drop it from the queue)
    res.on('close', () => {
      if (!res.writableEnded) controller.abort();
    });
    let detail = '';
    try {
      this.authorize(req);
      const url = new URL(req.url ?? '/', 'http://localhost');
      const route = `${req.method} ${url.pathname.replace(/\/+$/, '')}`;
      if (route === 'GET /v1/models') {
        this.json(res, 200, { object: 'list', data: [this.modelCard()] });
      } else if (req.method === 'GET' && url.pathname.startsWith('/v1/models/')) {
        this.checkModel(decodePathPart(url.pathname.slice('/v1/models/'.length)));
        this.json(res, 200, this.modelCard());
      } else if (route === 'POST /v1/completions') {
        const body = parseCompletionRequest(await readJson(req));
        this.checkModel(body.model);
        detail = await this.queued(controller, () => this.completion(body, res, controller.signal));
      } else if (route === 'POST /v1/chat/completions') {
        const body = parseChatRequest(await readJson(req));
        this.checkModel(body.model);
        detail = await this.queued(controller, () => this.chat(body, res, controller.signal));
      } else {
        throw new OpenAiRequestError(404, `No route ${req.method} ${url.pathname} (try GET /v1/models, POST /v1/chat/completions, POST /v1/completions)`);
      }
    } catch (err) {
      detail = this.fail(res, err, controller.signal.aborted);
    } finally {
      const ms = (performance.now() - started).toFixed(0);
      this.opts.log?.(`${req.method} ${req.url} ${res.statusCode} ${ms} ms${detail ? ` ${detail}` : ''}`);
    }
  }

  private async queued(controller: AbortController, task: () => Promise<string>): Promise<string> {
    return this.queue.run(controller.signal, async () => {
      this.running.add(controller);
      try {
        await this.opts.runtime.resetSession(this.opts.sessionId);
        return await task();
      } finally {
        this.running.delete(controller);
      }
    });
  }

  private authorize(req: IncomingMessage): void {
    if (!this.opts.apiKey) return;
    const given = Buffer.from(req.headers.authorization ?? '');
    const wanted = Buffer.from(`Bearer ${this.opts.apiKey}`);
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
      throw new OpenAiRequestError(401, 'Missing or wrong API key (send Authorization: Bearer <key>)');
    }
  }

  private checkModel(name: string | undefined): void {
    if (name !== undefined && name !== this.opts.modelName) {
      throw new OpenAiRequestError(404, `The model '${name}' is not served here; this server serves '${this.opts.modelName}'`, 'model');
    }
  }

  private modelCard(): Record<string, unknown> {
    return { id: this.opts.modelName, object: 'model', created: this.created, owned_by: 'model-lab' };
  }

  private generateParams(body: SamplingRequest, generationId: string): Omit<Parameters<LlamaRuntime['generate']>[0], 'prompt'> {
    return {
      sessionId: this.opts.sessionId,
      generationId,
      maxTokens: body.maxTokens,
      temperature: body.temperature,
      topP: body.topP,
      seed: body.seed,
      stop: body.stop,
    };
  }

  private async completion(body: CompletionRequest, res: ServerResponse, signal: AbortSignal): Promise<string> {
    const id = `cmpl-${randomBytes(12).toString('hex')}`;
    const head = { id, object: 'text_completion', created: Math.floor(Date.now() / 1000), model: this.opts.modelName };
    const target = { modelId: this.opts.modelId, lora: this.opts.lora };
    if (body.maxTokens === 0) {
      // echo with nothing to generate: score the prompt
      const scored = await this.opts.runtime.logprobs({ ...target, text: body.prompt, top: body.logprobs || undefined }, signal);
      const logprobs = body.logprobs === undefined ? null : completionLogprobs(scored, 0, body.prompt);
      const usage = { prompt_tokens: scored.tokens.length, completion_tokens: 0, total_tokens: scored.tokens.length };
      const choice = { text: body.prompt, index: 0, logprobs, finish_reason: 'length' };
      if (body.stream) this.sse(res, [{ ...head, choices: [choice] }, ...(body.includeUsage ? [{ ...head, choices: [], usage }] : [])]);
      else this.json(res, 200, { ...head, choices: [choice], usage });
      return `scored ${scored.tokens.length} tokens`;
    }
    const stream = body.stream ? this.openStream(res) : undefined;
    if (stream && body.echo) stream({ ...head, choices: [{ text: body.prompt, index: 0, logprobs: null, finish_reason: null }] });
    const result = await this.opts.runtime.generate(
      { ...this.generateParams(body, id), prompt: body.prompt, mode: 'completion' },
      stream ? (c) => c.text && stream({ ...head, choices: [{ text: c.text, index: 0, logprobs: null, finish_reason: null }] }) : undefined,
      signal,
    );
    if (signal.aborted) return 'cancelled (client disconnected)';
    const usage = usageOf(result);
    if (stream) {
      stream({ ...head, choices: [{ text: '', index: 0, logprobs: null, finish_reason: finishReason(result.stopReason) }] });
      if (body.includeUsage) stream({ ...head, choices: [], usage });
      this.endStream(res);
      return `stop=${result.stopReason}`;
    }
    let logprobs: OpenAiLogprobs | null = null;
    if (body.logprobs !== undefined && result.tokens.length > 0) {
      // the generated tokens scored after the prompt, exactly as the model tokenized and produced them
      const promptTokens = this.opts.runtime.tokenize({ modelId: this.opts.modelId, text: body.prompt, addBos: true }).tokens;
      const scored = await this.opts.runtime.logprobs({ ...target, text: '', tokens: [...promptTokens, ...result.tokens], top: body.logprobs || undefined }, signal);
      // the generated tokens' pieces add up to the text even where a character spans tokens (byte-level BPE)
      const detokenize = (ids: number[], before: number[]): string => this.opts.runtime.detokenize({ modelId: this.opts.modelId, tokens: ids, before }).text;
      const pieces = [...scored.pieces.slice(0, promptTokens.length), ...streamedPieces(result.tokens, promptTokens, detokenize)];
      logprobs = completionLogprobs({ ...scored, pieces }, body.echo ? 0 : promptTokens.length, body.prompt + result.text);
    }
    const text = body.echo ? body.prompt + result.text : result.text;
    this.json(res, 200, { ...head, choices: [{ text, index: 0, logprobs, finish_reason: finishReason(result.stopReason) }], usage });
    return `stop=${result.stopReason}`;
  }

  private async chat(body: ChatRequest, res: ServerResponse, signal: AbortSignal): Promise<string> {
    const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
    const head = { id, object: 'chat.completion', created: Math.floor(Date.now() / 1000), model: this.opts.modelName };
    const chunkHead = { ...head, object: 'chat.completion.chunk' };
    const stream = body.stream ? this.openStream(res) : undefined;
    stream?.({ ...chunkHead, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
    const result = await this.opts.runtime.generate(
      { ...this.generateParams(body, id), prompt: '', mode: 'chat', messages: body.messages },
      stream ? (c) => c.text && stream({ ...chunkHead, choices: [{ index: 0, delta: { content: c.text }, logprobs: null, finish_reason: null }] }) : undefined,
      signal,
    );
    if (signal.aborted) return 'cancelled (client disconnected)';
    const usage = usageOf(result);
    if (stream) {
      stream({ ...chunkHead, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason(result.stopReason) }] });
      if (body.includeUsage) stream({ ...chunkHead, choices: [], usage });
      this.endStream(res);
    } else {
      const logprobs = body.topLogprobs === undefined ? null : await this.chatReplyLogprobs(result, body.topLogprobs, signal);
      const message = { role: 'assistant', content: result.text, refusal: null };
      this.json(res, 200, { ...head, choices: [{ index: 0, message, logprobs, finish_reason: finishReason(result.stopReason) }], usage });
    }
    return `stop=${result.stopReason}`;
  }

  /** The reply's tokens scored after the conversation exactly as the chat evaluated it (template markers and all). */
  private async chatReplyLogprobs(result: GenerateResult, top: number, signal: AbortSignal): Promise<OpenAiChatLogprobs> {
    if (result.tokens.length === 0) return { content: [], refusal: null };
    const context = result.chatContextTokens;
    if (!context?.length) throw new ModelLabError('LOGPROBS_UNAVAILABLE', 'the conversation as the model read it could not be recovered to score the reply; ask without logprobs');
    const scored = await this.opts.runtime.logprobs(
      { modelId: this.opts.modelId, lora: this.opts.lora, text: '', tokens: [...context, ...result.tokens], top: top || undefined }, signal);
    return chatLogprobs(scored, context.length, top);
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    if (res.headersSent) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  /** Server-sent events: each call writes one `data:` event. */
  private openStream(res: ServerResponse): (event: unknown) => void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    return (event) => {
      if (!res.writableEnded && !res.destroyed) res.write(`data: ${JSON.stringify(event)}\n\n`);
    };
  }

  private endStream(res: ServerResponse): void {
    if (!res.writableEnded && !res.destroyed) res.end('data: [DONE]\n\n');
  }

  private sse(res: ServerResponse, events: unknown[]): void {
    const write = this.openStream(res);
    for (const e of events) write(e);
    this.endStream(res);
  }

  /** Sends the error as OpenAI does ({error: {message, type, param, code}}) and returns a word for the log. */
  private fail(res: ServerResponse, err: unknown, aborted: boolean): string {
    if (aborted || err instanceof AbortedError) {
      if (!res.writableEnded) res.destroy();
      return 'cancelled (client disconnected)';
    }
    let status = 500;
    let type = 'server_error';
    let param: string | null = null;
    let code: string | null = null;
    if (err instanceof OpenAiRequestError) {
      status = err.status;
      type = err.type;
      param = err.param ?? null;
    } else if (err instanceof ModelLabError) {
      status = 400;
      type = 'invalid_request_error';
      code = err.code;
    }
    const message = (err as Error)?.message?.split('\n')[0] ?? String(err);
    if (res.headersSent) {
      // mid-stream: an error event, then the end of the stream
      if (!res.writableEnded && !res.destroyed) res.end(`data: ${JSON.stringify({ error: { message, type, param, code } })}\n\n`);
    } else {
      this.json(res, status, { error: { message, type, param, code } });
    }
    return `error: ${message}`;
  }
}

function usageOf(result: GenerateResult): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  return { prompt_tokens: result.promptTokens, completion_tokens: result.tokens.length, total_tokens: result.promptTokens + result.tokens.length };
}

/** A percent-encoded path segment; a malformed escape is the client's error (400), not the server's. */
function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new OpenAiRequestError(400, `The path has a malformed percent-escape: '${part}'`);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new OpenAiRequestError(413, `The request body is over ${MAX_BODY_BYTES >> 20} MiB`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new OpenAiRequestError(400, 'The request body is not valid JSON');
  }
}
