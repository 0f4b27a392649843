import type { GenerateParams, PlaygroundModelOption, PlaygroundProtocol, PlaygroundState } from '../../protocol/webviewPlayground.js';
import { playgroundIncoming } from '../../protocol/webviewPlayground.js';
import { WebviewChannel } from '../panels/WebviewChannel.js';
import { toErrorInfo } from '../panels/toErrorInfo.js';
import type { ModelRegistry } from '../models/ModelRegistry.js';
import { resolveRunnableModel, runnableModels } from '../models/runnableModels.js';
import type { RuntimeService } from '../runtime/RuntimeService.js';
import type { Disposable, HostApi, PanelHandle } from '../vscodeApi/HostApi.js';
import { DEFAULT_SAMPLING } from './defaultSampling.js';
import { chooseContextSize } from '../../protocol/contextSize.js';
import type { ModelFactsCache } from '../inspect/ModelFactsCache.js';

export interface PlaygroundDeps {
  registry: ModelRegistry;
  runtime: RuntimeService;
  window: Pick<HostApi['window'], 'pickFile' | 'insertIntoActiveEditor' | 'writeClipboard'>;
  contextSize: () => number;
  /** Validates an adapter file before the runtime sees it (our GGUF reader); throws a one-line error. */
  validateAdapter: (path: string, signal: AbortSignal) => Promise<void>;
  log: (line: string) => void;
  now?: () => number;
  /** Header facts (chat template, trained context) of the listed models, read in the background. */
  facts?: ModelFactsCache;
}

/**
 * The models the playground offers: every listed model, plus model-type variants that have a file; with what the
 * header says about chat templates and context (when `facts` has read it), for the mode and context notes.
 */
export function playgroundModels(registry: ModelRegistry, facts?: ModelFactsCache, contextSetting?: number): PlaygroundModelOption[] {
  const withFacts = (o: PlaygroundModelOption, filePath: string): PlaygroundModelOption => {
    const f = facts?.peek(filePath);
    if (!f) return { ...o, chatTemplate: null };
    const ctx = chooseContextSize(contextSetting, f.trainContextSize);
    return { ...o, chatTemplate: f.chatTemplate, contextSize: ctx.size, contextNote: ctx.note };
  };
  return runnableModels(registry).map((m) => withFacts({ id: m.id, name: m.name, source: m.source }, m.path));
}

let jobCounter = 0;

/**
 * The Playground: one model (plus an optional LoRA adapter), chat or raw completion, streamed. Each generation is
 * a job with its own AbortController, linked to the panel's: Stop cancels one, closing the panel cancels all.
 */
export class PlaygroundPanel implements Disposable {
  readonly channel: WebviewChannel<PlaygroundProtocol>;
  private selected: string | null;
  /** An adapter the user opened the playground with (a LoRA variant); the webview fills it in once. */
  private suggestedAdapter: string | null;
  /** A prompt the user opened the playground with (an editor selection); the webview fills it in once. */
  private suggestedPrompt: string | null = null;
  private readonly jobs = new Map<string, AbortController>();
  private readonly subs: Disposable[] = [];
  private readonly now: () => number;

  constructor(
    readonly panel: PanelHandle,
    private readonly deps: PlaygroundDeps,
    initialModelId: string | null,
    initialAdapter?: string,
  ) {
    this.now = deps.now ?? (() => performance.now());
    this.selected = initialModelId;
    this.suggestedAdapter = initialAdapter ?? null;
    this.channel = new WebviewChannel<PlaygroundProtocol>(
      panel,
      playgroundIncoming,
      {
        requests: {
          'playground/generate': (p) => ({ jobId: this.start(p) }),
          'playground/stop': ({ jobId }) => {
            const c = this.jobs.get(jobId);
            c?.abort();
            return { stopped: c !== undefined };
          },
          'playground/copy': async ({ text }) => {
            await deps.window.writeClipboard(text);
            return { copied: true };
          },
          'playground/insert': async ({ text }) => ({ inserted: await deps.window.insertIntoActiveEditor(text) }),
          'playground/pickAdapter': async () => ({
            path: (await deps.window.pickFile({ title: 'Choose a LoRA adapter (GGUF)', filters: { 'LoRA adapter (GGUF)': ['gguf'] } })) ?? null,
          }),
        },
        notifications: {
          'playground/selectModel': ({ modelId }) => {
            this.selected = modelId;
          },
        },
        onReady: () => this.postState(),
      },
      deps.log,
    );
    this.subs.push(deps.registry.onDidChange(() => this.postState()));
    if (deps.facts) this.subs.push(deps.facts.onDidChange(() => this.postState()));
    this.channel.signal.addEventListener('abort', () => this.cancelAll(), { once: true });
  }

  selectModel(modelId: string | null, adapterPath?: string, prompt?: string): void {
    if (modelId) this.selected = modelId;
    if (adapterPath) this.suggestedAdapter = adapterPath;
    if (prompt) this.suggestedPrompt = prompt;
    this.postState();
  }

  state(): PlaygroundState {
    const models = playgroundModels(this.deps.registry, this.deps.facts, this.deps.contextSize());
    const selectedModelId = this.selected && models.some((m) => m.id === this.selected) ? this.selected : (models[0]?.id ?? null);
    return { models, selectedModelId, sampling: DEFAULT_SAMPLING, adapterPath: this.suggestedAdapter, prompt: this.suggestedPrompt };
  }

  private postState(): void {
    this.channel.notify('playground/state', this.state());
    this.suggestedAdapter = null;
    this.suggestedPrompt = null;
  }

  get runningJobs(): number {
    return this.jobs.size;
  }

  private start(p: GenerateParams): string {
    const jobId = `g${++jobCounter}`;
    const ctrl = new AbortController();
    this.jobs.set(jobId, ctrl);
    void this.run(jobId, p, ctrl.signal).finally(() => this.jobs.delete(jobId));
    return jobId;
  }

  private async run(jobId: string, p: GenerateParams, signal: AbortSignal): Promise<void> {
    const t0 = this.now();
    let first: number | null = null;
    let pieces = 0;
    // TTFT as the user saw it (includes loading the model); tokens/s from the runtime when it measured them.
    let contextSize: number | undefined;
    const stats = (stopReason: string, fromRuntime?: { tokens: number; tokensPerSecond?: number }) => {
      const t = this.now();
      const measured = first !== null && pieces > 1 && t > first ? ((pieces - 1) * 1000) / (t - first) : null;
      const rtTps = fromRuntime?.tokensPerSecond;
      return {
        tokens: fromRuntime?.tokens ?? pieces,
        timeToFirstTokenMs: first === null ? null : first - t0,
        tokensPerSecond: rtTps !== undefined && Number.isFinite(rtTps) && rtTps > 0 ? rtTps : measured,
        stopReason,
        contextSize,
      };
    };
    try {
      const model = resolveRunnableModel(this.deps.registry, p.modelId);
      this.selected = model.id;
      if (p.adapterPath) await this.deps.validateAdapter(p.adapterPath, signal);
      if (!this.deps.runtime.isLoaded(model.id)) this.channel.notify('playground/status', { jobId, message: `Loading ${model.name}…` });
      const state = await this.deps.runtime.ensureLoaded(model.id, model.name, model.path, signal);
      signal.throwIfAborted();
      const ctx = chooseContextSize(this.deps.contextSize(), state.info.trainContextSize);
      if (ctx.note) this.deps.log(`[playground] ${model.name}: ${ctx.note}`);
      contextSize = ctx.size;
      const rt = await this.deps.runtime.get();
      const result = await rt.generate(
        {
          modelHandle: state.info.handle,
          mode: p.mode,
          prompt: p.prompt,
          history: p.history ?? [],
          systemPrompt: p.systemPrompt,
          adapter: p.adapterPath ? { path: p.adapterPath, scale: p.adapterScale ?? 1 } : undefined,
          sampling: p.sampling,
          contextSize: ctx.size,
        },
        (text) => {
          if (signal.aborted) return;
          if (first === null) first = this.now();
          pieces++;
          this.channel.notify('playground/token', { jobId, text });
        },
        signal,
      );
      this.channel.notify('playground/done', { jobId, stats: stats(signal.aborted ? 'cancelled' : result.stopReason, result) });
    } catch (e) {
      if (signal.aborted) this.channel.notify('playground/done', { jobId, stats: stats('cancelled') });
      else {
        const info = toErrorInfo(e);
        this.deps.log(`[playground] generation failed: ${info.code}: ${info.message}`);
        this.channel.notify('playground/error', { jobId, ...info });
      }
    }
  }

  private cancelAll(): void {
    for (const c of this.jobs.values()) c.abort();
  }

  dispose(): void {
    this.cancelAll();
    for (const s of this.subs) s.dispose();
    this.channel.dispose();
  }
}
