// Everything the runtime does with node-llama-cpp, in-process. The runtime child (src/runtime/main.ts) serves it
// over JSON-RPC; the CLI calls it directly. One place, so the two never drift apart.
import type { LlamaChatSession, LlamaCompletion, LlamaContext, LlamaContextSequence, LlamaModel } from 'node-llama-cpp';
import type { GgufFile } from '../../engine/gguf/index.js';
import type {
  BackendInfo,
  CreateSessionParams,
  DetokenizeParams,
  DetokenizeResult,
  GenerateChunk,
  GenerateParams,
  GenerateResult,
  InitializeParams,
  LoadedModelInfo,
  LoadModelParams,
  LoadProgress,
  LogprobsParams,
  LogprobsResult,
  LoraAdapterRef,
  PerplexityParams,
  PerplexityResult,
  ScoringTarget,
  SessionInfo,
  TokenizeParams,
  TokenizeResult,
} from '../../protocol/runtime.js';
import { ModelLabError } from '../../engine/errors.js';
import { LlamaError, NotLoadedError } from '../errors.js';
import { firstLine, initLlama, type InitializedLlama, type RuntimeLogger } from './initLlama.js';
import { validateAdapterFile, validateModelFile } from './validateModelFile.js';
import { generateText } from './generateText.js';
import { chooseContextSize, DEFAULT_CONTEXT_SIZE } from '../../protocol/contextSize.js';
import { chatHistoryFromMessages, initialChatHistory } from './chatHistory.js';
import { EXACT_SCORING_CONTEXT, scoreTokens } from './scoreTokens.js';
import { archKey, GENERAL, TOKENIZER } from '../../engine/gguf/metadataKeys.js';

interface ModelEntry {
  model: LlamaModel;
  gguf: GgufFile;
  info: LoadedModelInfo;
}
interface SessionEntry {
  info: SessionInfo;
  params: CreateSessionParams;
  context: LlamaContext;
  sequence: LlamaContextSequence;
  completion?: LlamaCompletion;
  chat?: LlamaChatSession;
  busy: boolean;
}

export interface LlamaRuntimeEvents {
  log?: RuntimeLogger;
  loadProgress?: (p: LoadProgress) => void;
}

export class LlamaRuntime {
  private init?: Promise<InitializedLlama>;
  private initParams: InitializeParams = {};
  private readonly models = new Map<string, ModelEntry>();
  private readonly sessions = new Map<string, SessionEntry>();
  private readonly generations = new Map<string, AbortController>();

  constructor(private readonly events: LlamaRuntimeEvents = {}) {}

  private log(level: 'error' | 'warn' | 'info' | 'debug', message: string): void {
    this.events.log?.(level, message);
  }

  /** Chooses the GPU backend. Only before anything is loaded: llama.cpp's backend is fixed per process. */
  async initialize(params: InitializeParams = {}): Promise<BackendInfo> {
    if (this.init && (params.gpu ?? 'auto') !== (this.initParams.gpu ?? 'auto')) {
      throw new ModelLabError('RUNTIME_INITIALIZED', 'The GPU backend is chosen once per runtime process; restart the runtime to change it');
    }
    this.initParams = params;
    return this.backendInfo();
  }

  private llama(): Promise<InitializedLlama> {
    this.init ??= initLlama(this.initParams.gpu ?? 'auto', (l, m) => this.log(l, m), this.initParams.logLevel ?? 'warn');
    return this.init;
  }

  async backendInfo(): Promise<BackendInfo> {
    const { llama, lib, requested, backend, fallback } = await this.llama();
    const vram = await llama.getVramState();
    const devices = backend === 'cpu' ? [] : await llama.getGpuDeviceNames();
    return {
      requested,
      backend,
      fallback,
      devices,
      vram: { total: vram.total, used: vram.used, free: vram.free },
      cpuMathCores: llama.cpuMathCores,
      maxThreads: llama.maxThreads,
      nodeLlamaCppVersion: await lib.getModuleVersion(),
      pid: process.pid,
    };
  }

  async loadModel(params: LoadModelParams, signal?: AbortSignal): Promise<LoadedModelInfo> {
    if (this.models.has(params.id)) await this.unloadModel(params.id);
    const gguf = await validateModelFile(params.path, signal);
    const { llama, backend } = await this.llama();
    const started = performance.now();
    let reported = -1;
    let loaded = false;
    const onLoadProgress = (progress: number): void => {
      // llama.cpp reports per tensor; a percent is enough for a progress bar and keeps IPC quiet. Its reports
      // come through a native queue that may run after the load resolved: those are stale, drop them.
      if (loaded || (progress - reported < 0.01 && progress < 1)) return;
      reported = progress;
      this.events.loadProgress?.({ modelId: params.id, progress });
    };
    const gpuLayers = backend === 'cpu' ? 0 : (params.gpuLayers ?? 'auto');
    let model: LlamaModel;
    let fallback: string | undefined;
    try {
      model = await llama.loadModel({ modelPath: params.path, gpuLayers, onLoadProgress, loadSignal: signal });
    } catch (err) {
      if (gpuLayers === 0 || signal?.aborted) throw new LlamaError(`llama.cpp could not load ${params.path}: ${firstLine(err)}`, 'MODEL_LOAD_FAILED');
      fallback = `Loading on the ${backend} GPU failed (${firstLine(err)}); loaded on the CPU instead`;
      this.log('warn', `${params.path}: ${fallback}`);
      try {
        model = await llama.loadModel({ modelPath: params.path, gpuLayers: 0, onLoadProgress, loadSignal: signal });
      } catch (err2) {
        throw new LlamaError(`llama.cpp could not load ${params.path}: ${firstLine(err2)}`, 'MODEL_LOAD_FAILED');
      }
    }
    if (reported < 1) onLoadProgress(1); // so a caller always sees the end before the result
    loaded = true;
    const md = gguf.metadata;
    const arch = String(md[GENERAL.architecture]);
    const tokens = md[TOKENIZER.tokens];
    const info: LoadedModelInfo = {
      id: params.id,
      path: params.path,
      architecture: arch,
      gpuLayers: model.gpuLayers,
      layerCount: Number(md[archKey(arch, 'blockCount')] ?? 0),
      backend: model.gpuLayers > 0 ? backend : 'cpu',
      fallback,
      sizeBytes: model.size,
      memory: { ram: model.memoryUsage.ram, vram: model.memoryUsage.vram },
      trainContextSize: model.trainContextSize,
      vocabSize: Array.isArray(tokens) ? tokens.length : 0,
      addsBos: model.tokens.shouldPrependBosToken && model.tokens.bos != null,
      chatTemplate: typeof md[TOKENIZER.chatTemplate] === 'string',
      loadMs: performance.now() - started,
    };
    this.models.set(params.id, { model, gguf, info });
    this.log('info', `loaded ${params.id} (${params.path}) on ${info.backend}, ${info.gpuLayers}/${info.layerCount} layers offloaded, ${info.loadMs.toFixed(0)} ms`);
    return info;
  }

  async unloadModel(id: string): Promise<void> {
    const entry = this.models.get(id);
    if (!entry) return;
    for (const s of [...this.sessions.values()]) if (s.info.modelId === id) await this.disposeSession(s.info.id);
    this.models.delete(id);
    await entry.model.dispose();
    this.log('info', `unloaded ${id}`);
  }

  listModels(): LoadedModelInfo[] {
    return [...this.models.values()].map((m) => m.info);
  }

  private modelEntry(id: string | undefined): ModelEntry {
    const m = id === undefined ? undefined : this.models.get(id);
    if (!m) throw new NotLoadedError('model', String(id));
    return m;
  }

  /** `scoring` contexts (log-probs, perplexity) are EXACT_SCORING_CONTEXT; sized to the text, so the F32 cache is small. */
  private async createContext(entry: ModelEntry, lora: LoraAdapterRef[] | undefined, contextSize: number, threads?: number, signal?: AbortSignal, scoring = false): Promise<LlamaContext> {
    const adapters = [];
    for (const a of lora ?? []) {
      await validateAdapterFile(a.path, entry.gguf, signal);
      adapters.push({ filePath: a.path, scale: a.scale ?? 1 });
    }
    try {
      return await entry.model.createContext({
        contextSize,
        sequences: 1,
        // llama.cpp's threads spin while they wait, so more threads than physical math cores (node-llama-cpp's
        // default maxThreads is larger) cost far more than they give: 12 tokens took 25 s with its default of 4 on
        // a 2-core machine, 16 ms with 1. Default to the math cores.
        threads: threads || this.initParams.threads || (await this.llama()).llama.cpuMathCores || undefined,
        lora: adapters.length ? { adapters } : undefined,
        createSignal: signal,
        ...(scoring ? EXACT_SCORING_CONTEXT : {}),
      });
    } catch (err) {
      throw new LlamaError(`llama.cpp could not create a context of ${contextSize} tokens: ${firstLine(err)}`, 'CONTEXT_FAILED');
    }
  }

  private defaultContextSize(entry: ModelEntry): number {
    return chooseContextSize(DEFAULT_CONTEXT_SIZE, entry.model.trainContextSize).size;
  }

  async createSession(params: CreateSessionParams, signal?: AbortSignal): Promise<SessionInfo> {
    if (this.sessions.has(params.id)) await this.disposeSession(params.id);
    const entry = this.modelEntry(params.modelId);
    const contextSize = params.contextSize ?? this.defaultContextSize(entry);
    const context = await this.createContext(entry, params.lora, contextSize, params.threads, signal, params.scoring ?? false);
    const info: SessionInfo = {
      id: params.id,
      modelId: params.modelId,
      contextSize: context.contextSize,
      lora: (params.lora ?? []).map((a) => ({ path: a.path, scale: a.scale ?? 1 })),
    };
    this.sessions.set(params.id, { info, params, context, sequence: context.getSequence(), busy: false });
    return info;
  }

  async disposeSession(id: string): Promise<void> {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    s.chat?.dispose({ disposeSequence: false });
    await s.context.dispose();
  }

  /** Forgets the chat history and the evaluated tokens of a session. */
  async resetSession(id: string): Promise<void> {
    const s = this.session(id);
    s.chat?.setChatHistory(initialChatHistory(s.params.systemPrompt));
    await s.sequence.clearHistory();
  }

  private session(id: string): SessionEntry {
    const s = this.sessions.get(id);
    if (!s) throw new NotLoadedError('session', id);
    return s;
  }

  private async claim<T>(s: SessionEntry, fn: () => Promise<T>): Promise<T> {
    if (s.busy) throw new ModelLabError('SESSION_BUSY', `Session '${s.info.id}' is already generating; cancel it or wait`);
    s.busy = true;
    try {
      return await fn();
    } finally {
      s.busy = false;
    }
  }

  async generate(params: GenerateParams, onChunk?: (c: GenerateChunk) => void, signal?: AbortSignal): Promise<GenerateResult> {
    // registered before the first await, so a cancel that arrives right after the request finds it
    const controller = new AbortController();
    const onAbort = (): void => controller.abort();
    signal?.addEventListener('abort', onAbort);
    if (signal?.aborted) controller.abort();
    this.generations.set(params.generationId, controller);
    try {
      const s = this.session(params.sessionId);
      const lib = (await this.llama()).lib;
      return await this.claim(s, async () => {
        const mode = params.mode ?? 'completion';
        const input = { ...params, signal: controller.signal, onChunk };
        if (mode === 'chat') {
          if (!s.chat) {
            s.chat = new lib.LlamaChatSession({ contextSequence: s.sequence, autoDisposeSequence: false });
            s.chat.setChatHistory(initialChatHistory(s.params.systemPrompt));
          }
          if (params.messages) {
            const { history, prompt } = chatHistoryFromMessages(params.messages);
            // node-llama-cpp would drop the start of a conversation that does not fit and answer what is left
            const { model } = this.modelEntry(s.info.modelId);
            const least = params.messages.reduce((n, m) => n + model.tokenize(m.content, false).length, 0);
            if (least >= s.sequence.contextSize) {
              throw new ModelLabError('CONTEXT_FULL', `The conversation is over ${least} tokens and the context holds ${s.sequence.contextSize}: shorten it or raise the context size (up to the model's trained context)`);
            }
            s.chat.setChatHistory(history);
            return await generateText({ mode, chat: s.chat, sequence: s.sequence }, { ...input, prompt });
          }
          return await generateText({ mode, chat: s.chat, sequence: s.sequence }, input);
        }
        s.completion ??= new lib.LlamaCompletion({ contextSequence: s.sequence });
        const { model, info } = this.modelEntry(s.info.modelId);
        const promptTokens = model.tokenize(params.prompt, false);
        return await generateText({ mode, completion: s.completion, sequence: s.sequence, promptTokens, addsBos: info.addsBos, isEog: (t) => model.isEogToken(t as never),
          detokenize: (ids, before) => detokenizeAfter(model, ids, before) }, input);
      });
    } finally {
      this.generations.delete(params.generationId);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Stops a running generation; it resolves with what it has and stopReason 'cancelled'. */
  cancel(generationId: string): boolean {
    const c = this.generations.get(generationId);
    c?.abort();
    return !!c;
  }

  /** The model's own tokenization; with addBos, BOS first when the model adds one (as generation does). */
  tokenize(params: TokenizeParams): TokenizeResult {
    const { model } = this.modelEntry(params.modelId);
    const tokens = this.tokenIds(params);
    return { tokens, pieces: this.pieces(model, tokens) };
  }

  /** tokenize's ids without the per-token pieces (one detokenize call each): for training text, megabytes of it. */
  tokenIds(params: TokenizeParams): number[] {
    const { model } = this.modelEntry(params.modelId);
    const tokens: number[] = model.tokenize(params.text, params.parseSpecial ?? false);
    if (params.addBos && model.tokens.shouldPrependBosToken && model.tokens.bos != null) tokens.unshift(model.tokens.bos);
    return tokens;
  }

  private pieces(model: LlamaModel, tokens: number[]): string[] {
    // each piece is detokenized after its predecessors, so leading spaces come out as they do in the text
    return tokens.map((t, i) => model.detokenize([t as never], true, tokens.slice(Math.max(0, i - 4), i) as never[]));
  }

  detokenize(params: DetokenizeParams): DetokenizeResult {
    const { model } = this.modelEntry(params.modelId);
    return { text: params.before?.length ? detokenizeAfter(model, params.tokens, params.before) : model.detokenize(params.tokens as never[], false) };
  }

  /** Runs fn on a sequence: the session's own, or a fresh context (with its adapters) disposed afterwards. */
  private async withScoringSequence<T>(
    target: ScoringTarget,
    tokenCount: number,
    signal: AbortSignal | undefined,
    fn: (seq: LlamaContextSequence, contextSize: number) => Promise<T>,
  ): Promise<T> {
    if (target.sessionId) {
      const s = this.session(target.sessionId);
      return this.claim(s, () => fn(s.sequence, s.context.contextSize));
    }
    const entry = this.modelEntry(target.modelId);
    const window = target.contextSize ?? this.defaultContextSize(entry);
    // a context no larger than the text needs: allocation is most of the cost for short texts
    const size = Math.max(64, Math.min(window, Math.ceil((tokenCount + 1) / 64) * 64));
    const context = await this.createContext(entry, target.lora, size, undefined, signal, true);
    try {
      return await fn(context.getSequence(), Math.min(window, context.contextSize));
    } finally {
      await context.dispose();
    }
  }

  private textTokens(target: ScoringTarget, text: string, given?: number[], parseSpecial?: boolean): { model: LlamaModel; tokens: number[] } {
    const modelId = target.sessionId ? this.session(target.sessionId).info.modelId : target.modelId;
    const { model, info } = this.modelEntry(modelId);
    if (given) {
      const bad = given.find((t) => !Number.isInteger(t) || t < 0 || t >= info.vocabSize);
      if (given.length === 0) throw new ModelLabError('EMPTY_TEXT', 'No tokens given: nothing to score');
      if (bad !== undefined) throw new ModelLabError('BAD_TOKEN', `Token id ${bad} is not in the model's vocabulary`);
      return { model, tokens: given };
    }
    if (text.length === 0) throw new ModelLabError('EMPTY_TEXT', 'The text is empty: nothing to score');
    const tokens = this.tokenIds({ modelId: modelId!, text, addBos: true, parseSpecial });
    return { model, tokens };
  }

  /** Per-token natural-log probabilities of a text under the model (BOS, when the model adds it, is token 0). */
  async logprobs(params: LogprobsParams, signal?: AbortSignal): Promise<LogprobsResult> {
    const { model, tokens } = this.textTokens(params, params.text, params.tokens, params.parseSpecial);
    const k = params.top ? Math.min(20, Math.max(1, Math.floor(params.top))) : undefined;
    const scores = await this.withScoringSequence(params, tokens.length, signal, (seq, window) => scoreTokens(seq, tokens, { window, top: k, signal }));
    // alternatives are named by their text, as a user reads them (detokenized alone: no context before them)
    const top = scores.top?.map((alternatives) => alternatives.map((a) => ({ ...a, piece: model.detokenize([a.token as never], true) })));
    return { tokens, pieces: this.pieces(model, tokens), logprobs: scores.logprobs, ...(top ? { top } : {}) };
  }

  /** exp(mean negative log-likelihood) over every token after the first, windowed by the context size. */
  async perplexity(params: PerplexityParams, signal?: AbortSignal): Promise<PerplexityResult> {
    const { tokens } = this.textTokens(params, params.text);
    if (tokens.length < 2) throw new ModelLabError('TEXT_TOO_SHORT', 'Perplexity needs a text of at least two tokens');
    const scores = await this.withScoringSequence(params, tokens.length, signal, (seq, ctx) =>
      scoreTokens(seq, tokens, { window: Math.min(params.window ?? ctx, ctx), signal }),
    );
    let nll = 0;
    let count = 0;
    for (const lp of scores.logprobs) {
      if (lp === null) continue;
      nll -= lp;
      count++;
    }
    return { ppl: Math.exp(nll / count), tokens: count, nll, windows: scores.windows };
  }

  async dispose(): Promise<void> {
    for (const c of this.generations.values()) c.abort();
    for (const id of [...this.sessions.keys()]) await this.disposeSession(id);
    for (const id of [...this.models.keys()]) await this.unloadModel(id);
    if (this.init) await (await this.init).llama.dispose();
    this.init = undefined;
  }
}

/**
 * The text of `ids` where they follow `before` (the last 4 are enough): an SPM token's space prefix is kept, as it
 * is in the whole text; alone, at the start of a detokenization, llama.cpp drops it.
 */
function detokenizeAfter(model: LlamaModel, ids: number[], before: number[]): string {
  return model.detokenize(ids as never[], false, before.slice(-4) as never[]);
}
