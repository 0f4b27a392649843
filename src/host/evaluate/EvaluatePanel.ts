import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { EvalReport } from '../../evaluate/EvalReport.js';
import { writeEvalReport } from '../../evaluate/writeEvalReport.js';
import type { EvalSpec, EvalTarget, EvaluateProtocol, EvaluateState } from '../../protocol/webviewEvaluate.js';
import { evaluateIncoming } from '../../protocol/webviewEvaluate.js';
import { createEvalFolder, writeJsonAtomic } from '../../workspace/index.js';
import type { ModelRegistry } from '../models/ModelRegistry.js';
import { WebviewChannel } from '../panels/WebviewChannel.js';
import { toErrorInfo } from '../panels/toErrorInfo.js';
import { playgroundModels } from '../playground/PlaygroundPanel.js';
import type { RuntimeService } from '../runtime/RuntimeService.js';
import type { Disposable, HostApi, PanelHandle } from '../vscodeApi/HostApi.js';
import { groupRuns, readEvalRuns, REQUEST_FILE, summarizeRun } from './evalHistory.js';
import { runEvaluation, type ResolvedModel } from './runEvaluation.js';

export interface EvaluateDeps {
  registry: ModelRegistry;
  runtime: RuntimeService;
  window: Pick<HostApi['window'], 'pickFile' | 'showHtml'>;
  /** The data folder (`<data>/evals/<id>/`); null without a workspace folder. */
  dataDirectory: () => string | null;
  /** The first workspace folder: where relative paths and globs start. */
  workspaceFolder: () => string | null;
  validateAdapter: (path: string, signal: AbortSignal) => Promise<void>;
  log: (line: string) => void;
}

let runCounter = 0;

/**
 * The Evaluate panel: pick a model or variant (with an adapter at a scale) and an evaluation — perplexity on files,
 * a glob or the selection; preference accuracy on a pairs file or the preference store; win-rate against another
 * model judged by a local model in both orders — run it with progress and cancel, write `<data>/evals/<id>/` as
 * `model-lab eval` does, open its report, and list past runs per model/variant with lineage, each rerunnable.
 * One run at a time (every evaluation is llama.cpp work on the same runtime); closing the panel cancels it.
 */
export class EvaluatePanel implements Disposable {
  readonly channel: WebviewChannel<EvaluateProtocol>;
  private running: { runId: string; controller: AbortController } | null = null;
  private initial: { target: EvalTarget | null; selection: { name: string; text: string } | null };
  private readonly subs: Disposable[] = [];

  constructor(
    readonly panel: PanelHandle,
    private readonly deps: EvaluateDeps,
    init: { target?: EvalTarget; selection?: { name: string; text: string } } = {},
  ) {
    this.initial = { target: init.target ?? null, selection: init.selection ?? null };
    this.channel = new WebviewChannel<EvaluateProtocol>(
      panel,
      evaluateIncoming,
      {
        requests: {
          'evaluate/run': (spec) => this.start(spec),
          'evaluate/cancel': ({ runId }) => {
            const r = this.running?.runId === runId ? this.running : null;
            r?.controller.abort();
            return { cancelled: r !== null };
          },
          'evaluate/rerun': (p) => this.rerun(p.id),
          'evaluate/openReport': (p) => this.openReport(p.id),
          'evaluate/pickFile': async ({ purpose }) => {
            const filters: Record<string, Record<string, string[]>> = {
              text: { 'Text files': ['txt', 'md', 'ts', 'js', 'py', 'json', 'jsonl', '*'] },
              pairs: { 'TRL pairs (JSON lines)': ['jsonl', 'json'] },
              prompts: { 'Prompts (one per line, or JSON lines)': ['txt', 'jsonl'] },
              adapter: { 'LoRA adapter (GGUF)': ['gguf'] },
            };
            const title = { text: 'Choose a text file', pairs: 'Choose a pairs file', prompts: 'Choose a prompts file', adapter: 'Choose a LoRA adapter (GGUF)' }[purpose];
            return { path: (await deps.window.pickFile({ title, filters: filters[purpose]!, defaultPath: deps.workspaceFolder() ?? undefined })) ?? null };
          },
          'evaluate/refresh': async () => ({ groups: await this.postHistory() }),
        },
        notifications: {},
        onReady: () => void this.postState(),
      },
      deps.log,
    );
    this.subs.push(deps.registry.onDidChange(() => void this.postState(false)));
    this.channel.signal.addEventListener('abort', () => this.running?.controller.abort(), { once: true });
  }

  /** Re-targets an open panel (a Models-view node, an editor selection). */
  show(init: { target?: EvalTarget; selection?: { name: string; text: string } }): void {
    if (init.target) this.initial.target = init.target;
    if (init.selection) this.initial.selection = init.selection;
    void this.postState();
  }

  get isRunning(): boolean {
    return this.running !== null;
  }

  private async history() {
    const data = this.deps.dataDirectory();
    if (!data) return [];
    const variants = this.deps.registry.listVariants().map((v) => v.manifest);
    return groupRuns(await readEvalRuns(data), variants, (file) => this.deps.registry.find(file)?.name);
  }

  async state(): Promise<EvaluateState> {
    const variants = this.deps.registry.listVariants();
    return {
      models: playgroundModels(this.deps.registry),
      adapters: variants.filter((v) => v.kind === 'adapter' && v.path).map((v) => {
        const parent = v.parent.variant ? variants.find((x) => x.id === v.parent.variant)?.path : this.deps.registry.find(v.parent.file)?.id;
        return { path: v.path, name: v.name, baseModelId: parent ?? null };
      }),
      dataDirectory: this.deps.dataDirectory(),
      target: this.initial.target,
      selection: this.initial.selection,
      history: await this.history(),
    };
  }

  private async postState(withInitial = true): Promise<void> {
    try {
      const s = await this.state();
      this.channel.notify('evaluate/state', withInitial ? s : { ...s, target: null, selection: null });
      if (withInitial) this.initial = { target: null, selection: null };
    } catch (e) {
      this.deps.log(`[evaluate] could not read the state: ${toErrorInfo(e).message}`);
    }
  }

  private async postHistory(): Promise<number> {
    const history = await this.history();
    this.channel.notify('evaluate/history', { history });
    return history.length;
  }

  private resolve(modelId: string): ResolvedModel {
    const m = this.deps.registry.find(modelId);
    if (m) return { id: m.id, name: m.name, path: m.path };
    const v = this.deps.registry.listVariants().find((x) => x.kind === 'model' && path.resolve(x.path) === path.resolve(modelId));
    if (v) return { id: v.path, name: v.name, path: v.path };
    throw Object.assign(new Error(`${path.basename(modelId)} is not in the Models view; add it (Add Model File) or pick another model.`), { code: 'MODEL_NOT_FOUND' });
  }

  private label(spec: EvalSpec): string {
    let name = spec.target.modelId;
    try {
      name = this.resolve(spec.target.modelId).name;
    } catch {
      // reported when the run starts
    }
    return spec.target.adapterPath ? `${name} + ${path.basename(spec.target.adapterPath)} × ${spec.target.adapterScale ?? 1}` : name;
  }

  private start(spec: EvalSpec): { runId: string } {
    if (this.running) throw Object.assign(new Error('An evaluation is running; wait for it or cancel it first.'), { code: 'EVAL_BUSY' });
    const data = this.deps.dataDirectory();
    if (!data) throw Object.assign(new Error('Open a folder first: results go to its data folder (modelLab.dataDirectory).'), { code: 'NO_WORKSPACE' });
    const runId = `e${++runCounter}`;
    const controller = new AbortController();
    this.running = { runId, controller };
    this.channel.notify('evaluate/started', { runId, kind: spec.kind, label: this.label(spec) });
    void this.execute(runId, spec, data, controller.signal).finally(() => {
      if (this.running?.runId === runId) this.running = null;
    });
    return { runId };
  }

  private async execute(runId: string, spec: EvalSpec, data: string, signal: AbortSignal): Promise<void> {
    const started = Date.now();
    let dir: string | null = null;
    try {
      const folder = await createEvalFolder(data, spec.kind);
      dir = folder.dir;
      await writeJsonAtomic(path.join(dir, REQUEST_FILE), spec);
      const outcome = await runEvaluation(spec, {
        runtime: this.deps.runtime, resolve: (id) => this.resolve(id), validateAdapter: this.deps.validateAdapter,
        dataDirectory: data, cwd: this.deps.workspaceFolder() ?? data,
      }, {
        dir, signal,
        onProgress: (done, total, what) => this.channel.notify('evaluate/progress', { runId, done, total, what }),
      });
      const report = { ...outcome, id: folder.id, seconds: (Date.now() - started) / 1000 } as EvalReport;
      await writeEvalReport(dir, report);
      this.deps.log(`[evaluate] ${report.kind} of ${report.model.label} → ${dir}`);
      // the list first: a webview (or test) that sees `done` finds the run among the past ones
      await this.postHistory().catch((e) => this.deps.log(`[evaluate] could not list past runs: ${toErrorInfo(e).message}`));
      this.channel.notify('evaluate/done', { runId, run: summarizeRun({ dir, report, spec }) });
    } catch (e) {
      // a run that did not finish leaves no folder: the list shows finished runs only
      if (dir) await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
      const info = toErrorInfo(e);
      const cancelled = signal.aborted;
      if (!cancelled) this.deps.log(`[evaluate] ${spec.kind} failed: ${info.code}: ${info.message}`);
      this.channel.notify('evaluate/failed', { runId, ...info, cancelled, ...(cancelled ? { message: 'Cancelled.' } : {}) });
    }
  }

  private async findRun(id: string) {
    const data = this.deps.dataDirectory();
    const run = data ? (await readEvalRuns(data)).find((r) => path.basename(r.dir) === id) : undefined;
    if (!run) throw Object.assign(new Error(`The evaluation ${id} is no longer in the data folder.`), { code: 'EVAL_NOT_FOUND' });
    return run;
  }

  private async rerun(id: string): Promise<{ runId: string }> {
    const run = await this.findRun(id);
    if (!run.spec) throw Object.assign(new Error('This run does not say which files it read (several relative inputs); run it from the panel instead.'), { code: 'NOT_RERUNNABLE' });
    return this.start(run.spec);
  }

  private async openReport(id: string): Promise<{ opened: boolean }> {
    const run = await this.findRun(id);
    const html = await fs.readFile(path.join(run.dir, 'report.html'), 'utf8').catch(() => {
      throw Object.assign(new Error(`${id} has no report.html; run it again.`), { code: 'NO_REPORT' });
    });
    this.deps.window.showHtml({ viewType: 'modelLab.evalReport', title: `Report: ${run.report.model.label} (${run.report.kind})`, html });
    return { opened: true };
  }

  dispose(): void {
    this.running?.controller.abort();
    for (const s of this.subs) s.dispose();
    this.channel.dispose();
  }
}
