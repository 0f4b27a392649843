import { chooseContextSize } from '../../protocol/contextSize.js';
import type { CompareColumnStats, CompareProtocol, CompareRunParams, CompareSource, CompareState, HeatToken } from '../../protocol/webviewCompare.js';
import { compareIncoming } from '../../protocol/webviewCompare.js';
import type { PreferenceStore } from '../../workspace/preferences/index.js';
import type { ModelRegistry } from '../models/ModelRegistry.js';
import { resolveRunnableModel, type RunnableModel } from '../models/runnableModels.js';
import { WebviewChannel } from '../panels/WebviewChannel.js';
import { toErrorInfo } from '../panels/toErrorInfo.js';
import { DEFAULT_SAMPLING } from '../playground/defaultSampling.js';
import { playgroundModels } from '../playground/PlaygroundPanel.js';
import type { RuntimeService } from '../runtime/RuntimeService.js';
import type { Disposable, HostApi, PanelHandle } from '../vscodeApi/HostApi.js';
import { scoreOnEndpoint, streamEndpoint } from './streamEndpoint.js';

export interface CompareDeps {
  registry: ModelRegistry;
  runtime: RuntimeService;
  window: Pick<HostApi['window'], 'pickFile'>;
  contextSize: () => number;
  /** Checks an adapter with our GGUF reader before the runtime sees it; throws a one-line error. */
  validateAdapter: (path: string, signal: AbortSignal) => Promise<void>;
  /** The workspace's preference store, where blind votes go. */
  openStore: () => Promise<PreferenceStore>;
  /** After a vote was stored (the Dataset view refreshes). */
  onVoted?: () => void;
  fileSize: (path: string) => Promise<number | null>;
  log: (line: string) => void;
  now?: () => number;
  /** The shuffle of blind mode (tests pass a fixed one). */
  random?: () => number;
}

/** One column's answer to one prompt, kept for heat maps and votes. */
interface Answer {
  text: string;
  label: string;
}

interface Run {
  params: CompareRunParams;
  /** display position → column index */
  order: number[];
  /** answers[prompt][column] */
  answers: Array<Array<Answer | undefined>>;
  controller: AbortController;
}

let runCounter = 0;

/** Fisher–Yates over column indices. */
function shuffled(n: number, random: () => number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/**
 * The Compare panel: 2–4 columns (models, variants, a model with an adapter, or OpenAI-compatible endpoints) answer
 * the same prompts one column at a time (so each column's tokens/s is its own), streamed side by side; per-token
 * log-prob heat maps and differences; blind A/B votes into the preference store. Closing the panel cancels its run.
 */
export class ComparePanel implements Disposable {
  readonly channel: WebviewChannel<CompareProtocol>;
  private readonly runs = new Map<string, Run>();
  private initialColumns: CompareSource[] | null;
  private initialPrompt: string | null;
  private readonly subs: Disposable[] = [];
  private readonly now: () => number;

  constructor(
    readonly panel: PanelHandle,
    private readonly deps: CompareDeps,
    init: { columns?: CompareSource[]; prompt?: string } = {},
  ) {
    this.now = deps.now ?? (() => performance.now());
    this.initialColumns = init.columns ?? null;
    this.initialPrompt = init.prompt ?? null;
    this.channel = new WebviewChannel<CompareProtocol>(
      panel,
      compareIncoming,
      {
        requests: {
          'compare/run': (p) => this.start(p),
          'compare/stop': ({ runId }) => {
            const r = this.runs.get(runId);
            r?.controller.abort();
            return { stopped: r !== undefined };
          },
          'compare/heatmap': (p) => this.heatmap(p.runId, p.prompt, p.column, p.against),
          'compare/vote': (p) => this.vote(p.runId, p.prompt, p.ranking, p.allBad ?? false),
          'compare/pickAdapter': async () => ({
            path: (await deps.window.pickFile({ title: 'Choose a LoRA adapter (GGUF)', filters: { 'LoRA adapter (GGUF)': ['gguf'] } })) ?? null,
          }),
        },
        notifications: {},
        onReady: () => this.postState(),
      },
      deps.log,
    );
    this.subs.push(deps.registry.onDidChange(() => this.postState()));
    this.channel.signal.addEventListener('abort', () => this.cancelAll(), { once: true });
  }

  /** Opens (or re-targets) the panel on these columns and/or this prompt. */
  show(init: { columns?: CompareSource[]; prompt?: string }): void {
    if (init.columns) this.initialColumns = init.columns;
    if (init.prompt) this.initialPrompt = init.prompt;
    this.postState();
  }

  state(): CompareState {
    return { models: playgroundModels(this.deps.registry), columns: this.initialColumns, prompt: this.initialPrompt, sampling: DEFAULT_SAMPLING };
  }

  private postState(): void {
    this.channel.notify('compare/state', this.state());
    this.initialColumns = null;
    this.initialPrompt = null;
  }

  get runningRuns(): number {
    return [...this.runs.values()].filter((r) => !r.controller.signal.aborted).length;
  }

  private start(params: CompareRunParams): { runId: string; order: number[] } {
    const runId = `c${++runCounter}`;
    const order = params.blind ? shuffled(params.columns.length, this.deps.random ?? Math.random) : params.columns.map((_, i) => i);
    const run: Run = { params, order, answers: params.prompts.map(() => []), controller: new AbortController() };
    // a new run replaces the previous ones: their heat maps and votes refer to answers no longer shown
    for (const [id, r] of this.runs) {
      r.controller.abort();
      this.runs.delete(id);
    }
    this.runs.set(runId, run);
    void this.execute(runId, run);
    return { runId, order };
  }

  private resolveModel(modelId: string): RunnableModel {
    return resolveRunnableModel(this.deps.registry, modelId);
  }

  private label(src: CompareSource): string {
    if (src.kind === 'endpoint') return `${src.model} @ ${src.url}`;
    let name = src.modelId;
    try {
      name = this.resolveModel(src.modelId).name;
    } catch {
      // a model that went away: its id is the best name left
    }
    return src.adapterPath ? `${name} + ${src.adapterPath.split(/[\\/]/).pop()} × ${src.adapterScale ?? 1}` : name;
  }

  private async execute(runId: string, run: Run): Promise<void> {
    const { signal } = run.controller;
    try {
      for (const [pi, prompt] of run.params.prompts.entries()) {
        for (const [ci, src] of run.params.columns.entries()) {
          if (signal.aborted) return;
          await this.runColumn(runId, run, pi, ci, src, prompt);
        }
      }
    } finally {
      this.channel.notify('compare/finished', { runId });
    }
  }

  private async runColumn(runId: string, run: Run, pi: number, ci: number, src: CompareSource, prompt: string): Promise<void> {
    const { signal } = run.controller;
    const { sampling, mode } = run.params;
    let t0 = this.now();
    let first: number | null = null;
    let text = '';
    const onText = (piece: string): void => {
      if (signal.aborted) return;
      if (first === null) first = this.now();
      text += piece;
      this.channel.notify('compare/token', { runId, prompt: pi, column: ci, text: piece });
    };
    try {
      let stats: CompareColumnStats;
      if (src.kind === 'endpoint') {
        this.channel.notify('compare/status', { runId, prompt: pi, column: ci, message: `Asking ${src.url}…` });
        const r = await streamEndpoint(src, { mode, prompt, sampling }, onText, signal);
        const t = this.now();
        stats = {
          tokens: r.tokens, stopReason: r.stopReason, timeToFirstTokenMs: first === null ? null : first - t0,
          tokensPerSecond: first !== null && r.tokens > 1 && t > first ? ((r.tokens - 1) * 1000) / (t - first) : null,
          fileBytes: null, memoryBytes: null,
        };
      } else {
        const model = this.resolveModel(src.modelId);
        if (src.adapterPath) await this.deps.validateAdapter(src.adapterPath, signal);
        if (!this.deps.runtime.isLoaded(model.id)) this.channel.notify('compare/status', { runId, prompt: pi, column: ci, message: `Loading ${model.name}…` });
        const state = await this.deps.runtime.ensureLoaded(model.id, model.name, model.path, signal);
        const ctx = chooseContextSize(this.deps.contextSize(), state.info.trainContextSize);
        const rt = await this.deps.runtime.get();
        // time to first token counts from the request, not from loading the model (a column that loads is not slower)
        t0 = this.now();
        const r = await rt.generate(
          {
            modelHandle: state.info.handle, mode, prompt, history: [],
            adapter: src.adapterPath ? { path: src.adapterPath, scale: src.adapterScale ?? 1 } : undefined,
            sampling, contextSize: ctx.size,
          },
          onText,
          signal,
        );
        const adapterBytes = src.adapterPath ? ((await this.deps.fileSize(src.adapterPath)) ?? 0) : 0;
        const fileBytes = await this.deps.fileSize(model.path);
        stats = {
          tokens: r.tokens, stopReason: signal.aborted ? 'cancelled' : r.stopReason,
          timeToFirstTokenMs: first === null ? null : first - t0,
          tokensPerSecond: r.tokensPerSecond && r.tokensPerSecond > 0 ? r.tokensPerSecond : null,
          fileBytes: fileBytes === null ? null : fileBytes + adapterBytes,
          memoryBytes: state.info.memoryBytes,
        };
      }
      run.answers[pi]![ci] = { text, label: this.label(src) };
      this.channel.notify('compare/done', { runId, prompt: pi, column: ci, stats });
    } catch (e) {
      if (signal.aborted) {
        this.channel.notify('compare/done', {
          runId, prompt: pi, column: ci,
          stats: { tokens: 0, stopReason: 'cancelled', timeToFirstTokenMs: null, tokensPerSecond: null, fileBytes: null, memoryBytes: null },
        });
        return;
      }
      const info = toErrorInfo(e);
      this.deps.log(`[compare] column ${ci + 1} failed: ${info.code}: ${info.message}`);
      this.channel.notify('compare/error', { runId, prompt: pi, column: ci, ...info });
    }
  }

  private answer(runId: string, pi: number, ci: number): { run: Run; answer: Answer; prompt: string } {
    const run = this.runs.get(runId);
    if (!run) throw Object.assign(new Error('That comparison is over; run it again.'), { code: 'RUN_GONE' });
    const answer = run.answers[pi]?.[ci];
    if (!answer) throw Object.assign(new Error('That column has no finished answer yet.'), { code: 'NO_ANSWER' });
    return { run, answer, prompt: run.params.prompts[pi]! };
  }

  private async score(src: CompareSource, prompt: string, text: string, signal: AbortSignal): Promise<{ pieces: string[]; logprobs: Array<number | null>; tokens?: number[] }> {
    if (src.kind === 'endpoint') return scoreOnEndpoint(src, prompt, text, signal);
    const model = this.resolveModel(src.modelId);
    const state = await this.deps.runtime.ensureLoaded(model.id, model.name, model.path, signal);
    const rt = await this.deps.runtime.get();
    return rt.scoreText({ modelHandle: state.info.handle, prompt, text, adapter: src.adapterPath ? { path: src.adapterPath, scale: src.adapterScale ?? 1 } : undefined }, signal);
  }

  /**
   * Log-probs of column `ci`'s answer (the prompt as raw text before it) under its own model and, with `against`,
   * under that column's model: the difference shows where two variants disagree on the same text.
   */
  private async heatmap(runId: string, pi: number, ci: number, against: number | undefined): Promise<{ tokens: HeatToken[] }> {
    const { run, answer, prompt } = this.answer(runId, pi, ci);
    const signal = run.controller.signal.aborted ? AbortSignal.timeout(120_000) : run.controller.signal;
    const own = await this.score(run.params.columns[ci]!, prompt, answer.text, signal);
    const tokens: HeatToken[] = own.pieces.map((piece, i) => ({ piece, logprob: own.logprobs[i] ?? null }));
    if (against === undefined || against === ci) return { tokens };
    const other = await this.score(run.params.columns[against]!, prompt, answer.text, signal);
    const sameTokens = own.tokens && other.tokens
      ? own.tokens.length === other.tokens.length && own.tokens.every((t, i) => t === other.tokens![i])
      : own.pieces.length === other.pieces.length && own.pieces.every((p, i) => p === other.pieces[i]);
    if (!sameTokens) {
      throw Object.assign(new Error('The two models split this text into different tokens (different vocabularies): no per-token difference.'), { code: 'TOKENS_DIFFER' });
    }
    tokens.forEach((t, i) => (t.other = other.logprobs[i] ?? null));
    return { tokens };
  }

  /** A blind vote becomes a comparison in the preference store: candidates with their shown positions, tiers by column. */
  private async vote(runId: string, pi: number, ranking: number[][], allBad: boolean): Promise<{ recordId: string }> {
    const run = this.runs.get(runId);
    if (!run) throw Object.assign(new Error('That comparison is over; run it again.'), { code: 'RUN_GONE' });
    const answers = run.answers[pi] ?? [];
    const shownAt = new Map(run.order.map((col, pos) => [col, pos]));
    const candidates = run.params.columns.map((src, ci) => {
      const a = answers[ci];
      if (!a) throw Object.assign(new Error('Wait until every column has answered before voting.'), { code: 'NO_ANSWER' });
      return {
        id: `c${ci + 1}`, text: a.text, model: a.label,
        ...(src.kind === 'model' ? { variant: src.adapterPath ? `${src.modelId} + ${src.adapterPath}` : src.modelId } : {}),
        sampling: { temperature: run.params.sampling.temperature, topP: run.params.sampling.topP, topK: run.params.sampling.topK, maxTokens: run.params.sampling.maxTokens },
        ...(run.params.sampling.seed !== undefined ? { seed: run.params.sampling.seed } : {}),
        shownAt: shownAt.get(ci)!,
      };
    });
    const seen = new Set<number>();
    const tiers = ranking.map((tier) => tier.map((pos) => {
      const ci = run.order[pos];
      if (ci === undefined || seen.has(pos)) throw Object.assign(new Error('The vote names a column twice or one that is not there.'), { code: 'BAD_VOTE' });
      seen.add(pos);
      return `c${ci + 1}`;
    }));
    if (!allBad && tiers.flat().length === 0) throw Object.assign(new Error('Pick the better answer (or a tie, or all bad) before voting.'), { code: 'BAD_VOTE' });
    const store = await this.deps.openStore();
    const record = await store.addComparison({
      prompt: { text: run.params.prompts[pi]! },
      candidates,
      ranking: tiers.length ? tiers : [[]],
      ...(allBad ? { allBad: true } : {}),
      blind: run.params.blind,
      origin: 'compare',
    });
    this.deps.onVoted?.();
    return { recordId: record.id };
  }

  private cancelAll(): void {
    for (const r of this.runs.values()) r.controller.abort();
  }

  dispose(): void {
    this.cancelAll();
    for (const s of this.subs) s.dispose();
    this.channel.dispose();
  }
}
