import { resolveRunnableModel, runnableModels, type RunnableModel } from '../models/runnableModels.js';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ModelLabError } from '../../engine/errors.js';
import { readGguf } from '../../engine/gguf/index.js';
import { archKey, GENERAL, TOKENIZER } from '../../engine/gguf/metadataKeys.js';
import { parseTrlPairs, pairTexts, readTrlPairs, splitHeldOut, type PairTexts } from '../../engine/tune/index.js';
import { preferenceAccuracy } from '../../evaluate/preferenceAccuracy.js';
import type { JobService } from '../../jobs/service/JobService.js';
import type { TuneJobParams, TuneJobResult } from '../../jobs/kinds/tune.js';
import type { JobRecord } from '../../protocol/jobs.js';
import type { CompareSource } from '../../protocol/webviewCompare.js';
import {
  TUNE_PRESET_NAMES, TUNE_PRESETS, tuneIncoming,
  type TuneAccuracy, type TuneDataset, type TuneDnoStartParams, type TuneDnoView, type TuneEstimate, type TuneJobView, type TunePairsSource, type TunePresetName,
  type TuneProtocol, type TuneStartParams, type TuneState,
} from '../../protocol/webviewTune.js';
import { workspacePaths, writeJsonAtomic } from '../../workspace/index.js';
import { derivePairs, formatPairs, PreferenceStore } from '../../workspace/preferences/index.js';
import type { ModelRegistry } from '../models/ModelRegistry.js';
import { WebviewChannel } from '../panels/WebviewChannel.js';
import { toErrorInfo } from '../panels/toErrorInfo.js';
import type { RuntimeService } from '../runtime/RuntimeService.js';
import type { Disposable, HostApi, PanelHandle } from '../vscodeApi/HostApi.js';
import { estimateTune, type TuneModelFacts } from './estimateTune.js';
import { readTuneMetrics } from './readTuneMetrics.js';
import type { RankInLabel } from './labelOracle.js';
import { startDnoRun, type DnoRunHandle } from './runDnoFromPanel.js';

export interface TuneDeps {
  registry: ModelRegistry;
  runtime: RuntimeService;
  jobs: Pick<JobService, 'start' | 'cancel' | 'resume' | 'get' | 'list' | 'onDidChange'>;
  window: Pick<HostApi['window'], 'pickFile'>;
  /** The data folder (runs, variants, the preference store); null without a trusted workspace folder. */
  dataDirectory: () => string | null;
  workspaceFolder: () => string | null;
  /** Opens the Compare panel on these columns. */
  openCompare: (columns: CompareSource[]) => void;
  /** DNO's oracle "me": one prompt's samples ranked by the user in the Label panel. */
  rankInLabel: RankInLabel;
  contextSize: () => number;
  log: (line: string) => void;
}

/** Where the held-out accuracy before/after is kept, beside the run's metrics. */
export const ACCURACY_FILE = 'heldout-accuracy.json';

type Resolved = RunnableModel;

/**
 * The Tune panel: a model or pruned variant, a dataset (the preference store's pairs or a TRL file) with its held-out
 * split, presets with estimated time and memory, a method; Start queues a 'tune' job (the Jobs view shows it), whose
 * progress and metrics.jsonl the panel charts; cancel and resume go to the job service. When the job is done the
 * panel measures held-out preference accuracy with llama.cpp without and with the adapter, and opens Compare on
 * the two. The job outlives the panel: closing it stops only the accuracy measurement.
 */
export class TunePanel implements Disposable {
  readonly channel: WebviewChannel<TuneProtocol>;
  private followed: string | null = null;
  private initialModel: string | null;
  private readonly measuring = new Set<string>();
  private readonly dnoRuns = new Map<string, { handle: DnoRunHandle; view: TuneDnoView | null; modelId: string }>();
  private readonly subs: Disposable[] = [];

  constructor(readonly panel: PanelHandle, private readonly deps: TuneDeps, init: { modelId?: string } = {}) {
    this.initialModel = init.modelId ?? null;
    this.followed = deps.jobs.list().find((r) => r.kind === 'tune')?.id ?? null;
    this.channel = new WebviewChannel<TuneProtocol>(panel, tuneIncoming, {
      requests: {
        'tune/dataset': (p) => this.dataset(p.modelId, p.pairs),
        'tune/pickPairs': async () => ({
          path: (await deps.window.pickFile({ title: 'Choose a TRL pairs file', filters: { 'TRL pairs (JSON lines)': ['jsonl', 'json'] }, defaultPath: deps.workspaceFolder() ?? undefined })) ?? null,
        }),
        'tune/start': (p) => this.start(p),
        'tune/cancel': ({ jobId }) => ({ cancelled: deps.jobs.get(jobId) ? deps.jobs.cancel(jobId) : false }),
        'tune/resume': ({ jobId }) => {
          deps.jobs.resume(jobId);
          this.followed = jobId;
          return { resumed: true };
        },
        'tune/compare': ({ jobId }) => this.compare(jobId),
        'tune/dnoStart': (p) => this.startDno(p),
        'tune/dnoCancel': ({ runDir }) => {
          const run = this.dnoRuns.get(runDir);
          run?.handle.cancel();
          return { cancelled: run !== undefined };
        },
        'tune/dnoCompare': ({ runDir, iteration }) => this.compareDno(runDir, iteration),
      },
      notifications: {},
      onReady: () => void this.postState(),
    }, deps.log);
    this.subs.push(deps.jobs.onDidChange((r) => {
      if (r && r.id === this.followed) void this.postJob(r);
    }));
    this.subs.push(deps.registry.onDidChange(() => void this.postState()));
  }

  /** Re-targets an open panel (a Models-view node). */
  show(init: { modelId?: string }): void {
    if (init.modelId) this.initialModel = init.modelId;
    void this.postState();
  }

  private models(): Resolved[] {
    return runnableModels(this.deps.registry);
  }

  private resolve(modelId: string): Resolved {
    return resolveRunnableModel(this.deps.registry, modelId);
  }

  async state(): Promise<TuneState> {
    const job = this.followed ? this.deps.jobs.get(this.followed) : undefined;
    return {
      models: this.models().map((m) => ({ id: m.id, name: m.name })),
      model: this.initialModel,
      dataDirectory: this.deps.dataDirectory(),
      job: job ? await this.jobView(job) : null,
    };
  }

  private async postState(): Promise<void> {
    try {
      this.channel.notify('tune/state', await this.state());
    } catch (e) {
      this.deps.log(`[tune] could not read the state: ${toErrorInfo(e).message}`);
    }
  }

  /** The pairs of a source as text (the model's chat template for message lists), and where they are in words. */
  private async pairTexts(source: TunePairsSource, model: Resolved): Promise<{ texts: PairTexts[]; label: string }> {
    const md = (await readGguf(model.path)).metadata;
    const template = md[TOKENIZER.chatTemplate];
    const format = { template: typeof template === 'string' ? template : undefined };
    if (source.from === 'file') {
      const file = path.resolve(this.deps.workspaceFolder() ?? '', source.path);
      return { texts: readTrlPairs(file).map((p) => pairTexts(p, format)), label: path.basename(file) };
    }
    const data = this.needData();
    const store = await PreferenceStore.open(workspacePaths(data).preferences);
    const text = formatPairs(derivePairs((await store.read()).records, { ties: 'skip' }).pairs, { format: 'trl', shape: 'auto' }).text;
    return { texts: parseTrlPairs(text, 'preference store').map((p) => pairTexts(p, format)), label: 'preference store' };
  }

  private needData(): string {
    const data = this.deps.dataDirectory();
    if (!data) throw new ModelLabError('NO_WORKSPACE', 'Open a trusted folder first: runs and adapters go to its data folder (modelLab.dataDirectory).');
    return data;
  }

  async dataset(modelId: string, source: TunePairsSource): Promise<{ dataset: TuneDataset; estimates: Record<TunePresetName, TuneEstimate> }> {
    const model = this.resolve(modelId);
    const { texts, label } = await this.pairTexts(source, model);
    // the job's own split rule (its default count), so the summary says what the run will hold out
    const heldOut = texts.length ? splitHeldOut(texts, undefined, 1).heldOut.length : 0;
    const dataset: TuneDataset = { pairs: texts.length, train: texts.length - heldOut, heldOut, label };
    const file = await readGguf(model.path);
    const md = file.metadata;
    const arch = String(md[GENERAL.architecture]);
    const n = (k: Parameters<typeof archKey>[1]): number => {
      const v = md[archKey(arch, k)];
      // deci gives a width per layer: the widest decides the memory
      return Array.isArray(v) ? Math.max(0, ...v.map(Number)) : Number(v ?? 0);
    };
    const facts: TuneModelFacts = {
      fileBytes: (await fs.stat(model.path)).size,
      nEmbd: n('embeddingLength'), nLayer: n('blockCount'), nFf: n('feedForwardLength'),
      nVocab: (md[TOKENIZER.tokens] as unknown[] | undefined)?.length ?? 32000,
    };
    // about 3.5 characters a token for code and English; the longer of the two answers is what a step pays for
    const chars = texts.reduce((s, t) => s + t.prompt.length + Math.max(t.chosen.length, t.rejected.length), 0) / Math.max(1, texts.length);
    const tokensPerPair = Math.min(512, Math.max(8, Math.ceil(chars / 3.5)));
    const measured = await this.measuredTokensPerSec(model.path);
    const estimates = Object.fromEntries(TUNE_PRESET_NAMES.map((name) => [name, estimateTune(facts, TUNE_PRESETS[name], {
      trainPairs: dataset.train, allPairs: dataset.pairs, tokensPerPair, measuredTokensPerSec: measured,
    })])) as Record<TunePresetName, TuneEstimate>;
    return { dataset, estimates };
  }

  /** Mean tokens/s of the latest finished tune run of this model, if there is one. */
  private async measuredTokensPerSec(modelPath: string): Promise<number | undefined> {
    const done = this.deps.jobs.list().find((r) => r.kind === 'tune' && r.state === 'done' && path.resolve((r.params as TuneJobParams).model) === path.resolve(modelPath));
    if (!done) return undefined;
    const m = await readTuneMetrics(done.runDir);
    const rates = m.map((x) => x.tokensPerSec).filter((x): x is number => x !== null && x > 0);
    return rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : undefined;
  }

  private async start(p: TuneStartParams): Promise<{ jobId: string }> {
    const data = this.needData();
    const model = this.resolve(p.modelId);
    const preset = TUNE_PRESETS[p.preset];
    const pairs = p.pairs.from === 'file' ? { from: 'file' as const, path: path.resolve(this.deps.workspaceFolder() ?? '', p.pairs.path) } : p.pairs;
    const params: TuneJobParams = {
      model: model.path, pairs, dataDirectory: data,
      choices: { method: p.method, epochs: preset.epochs, maxSteps: preset.maxSteps, rank: preset.rank, ...(p.dropout ? { dropout: p.dropout } : {}) },
      backend: 'wasm', threads: 2,
    };
    const r = await this.deps.jobs.start('tune', params, `Tune ${model.name} (${p.method.toUpperCase()}, ${preset.label.toLowerCase()})`);
    this.followed = r.id;
    void this.postJob(r);
    return { jobId: r.id };
  }

  private modelIdOf(modelPath: string): string {
    return this.models().find((m) => path.resolve(m.path) === path.resolve(modelPath))?.id ?? modelPath;
  }

  private async jobView(r: JobRecord): Promise<TuneJobView> {
    const p = r.progress;
    const result = r.state === 'done' ? (r.result as TuneJobResult | undefined) : undefined;
    const metrics = await readTuneMetrics(r.runDir);
    return {
      jobId: r.id, title: r.title, state: r.state,
      phase: p?.phase ?? null, fraction: r.state === 'done' ? 1 : p?.fraction ?? 0,
      step: p?.step ?? null, steps: p?.steps ?? null, etaSec: r.state === 'running' ? p?.etaSec ?? null : null, tokensPerSec: p?.tokensPerSec ?? null,
      error: r.error && r.state !== 'done' ? r.error.message : null,
      metrics: metrics.map(({ step, loss, margin, accuracy }) => ({ step, loss, margin, accuracy })),
      result: result ? { variantId: result.variantId, adapterPath: result.outputPath, modelId: this.modelIdOf(result.model) } : null,
      accuracy: result ? await this.readAccuracy(r.runDir) : null,
    };
  }

  private async postJob(r: JobRecord): Promise<void> {
    try {
      const view = await this.jobView(r);
      this.channel.notify('tune/job', view);
      if (r.state === 'done' && view.accuracy === null && !this.measuring.has(r.id)) {
        // the Models view lists the new adapter under its model now, not only when the folder watcher next fires
        void this.deps.registry.refresh().catch((e) => this.deps.log(`[tune] could not re-read the models: ${toErrorInfo(e).message}`));
        void this.measure(r);
      }
    } catch (e) {
      this.deps.log(`[tune] could not read job ${r.id}: ${toErrorInfo(e).message}`);
    }
  }

  private async readAccuracy(runDir: string): Promise<TuneAccuracy | null> {
    return fs.readFile(path.join(runDir, ACCURACY_FILE), 'utf8').then((s) => JSON.parse(s) as TuneAccuracy, () => null);
  }

  /**
   * Held-out preference accuracy before/after by llama.cpp: the base (or pruned variant) without and with the new
   * adapter at scale 1, on the pairs the job held out. Kept in the run folder, so it is measured once.
   */
  private async measure(r: JobRecord): Promise<void> {
    const result = r.result as TuneJobResult;
    this.measuring.add(r.id);
    const signal = this.channel.signal;
    const post = async (a: TuneAccuracy, persist: boolean): Promise<void> => {
      if (persist) await writeJsonAtomic(path.join(r.runDir, ACCURACY_FILE), a);
      this.channel.notify('tune/job', { ...(await this.jobView(r)), accuracy: a });
    };
    try {
      const texts = (await fs.readFile(result.heldOutFile, 'utf8')).split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as PairTexts);
      if (texts.length === 0) {
        await post({ state: 'none', pairs: 0, message: 'No pairs were held out (fewer than 20 pairs): label more to measure before/after.' }, true);
        return;
      }
      await post({ state: 'measuring', pairs: texts.length }, false);
      const rt = await this.deps.runtime.get();
      if (!rt.evalRuntime) throw new ModelLabError('EVAL_UNSUPPORTED', 'This model runtime cannot score text; restart Model Lab.');
      const ev = await rt.evalRuntime();
      const model = this.resolve(this.modelIdOf(result.model));
      const loaded = await this.deps.runtime.ensureLoaded(model.id, model.name, model.path, signal);
      const handle = loaded.info.handle;
      const before = await preferenceAccuracy(ev, { modelId: handle, label: model.name }, texts, { signal });
      const after = await preferenceAccuracy(ev, { modelId: handle, label: `${model.name} + adapter`, lora: [{ path: result.outputPath, scale: 1 }] }, texts, { signal });
      await post({ state: 'done', pairs: texts.length, before: before.accuracy, after: after.accuracy }, true);
      this.deps.log(`[tune] held-out accuracy of ${r.id}: ${before.accuracy.toFixed(3)} → ${after.accuracy.toFixed(3)} (${texts.length} pairs)`);
    } catch (e) {
      const info = toErrorInfo(e);
      if (!signal.aborted) this.deps.log(`[tune] held-out accuracy of ${r.id} failed: ${info.code}: ${info.message}`);
      await post({ state: 'failed', pairs: 0, message: info.message }, false).catch(() => undefined);
    } finally {
      this.measuring.delete(r.id);
    }
  }

  private compare(jobId: string): { opened: boolean } {
    const r = this.deps.jobs.get(jobId);
    const result = r?.state === 'done' ? (r.result as TuneJobResult | undefined) : undefined;
    if (!result) throw new ModelLabError('TUNE_NOT_DONE', 'That tune job has no adapter yet; wait for it to finish.');
    const modelId = this.modelIdOf(result.model);
    this.deps.openCompare([{ kind: 'model', modelId }, { kind: 'model', modelId, adapterPath: result.outputPath, adapterScale: 1 }]);
    return { opened: true };
  }

  /** DNO iterations: the loop runs here against the runtime; each iteration trains as a tune job (Jobs view). */
  private async startDno(p: TuneDnoStartParams): Promise<{ runDir: string }> {
    const data = this.needData();
    const model = this.resolve(p.modelId);
    const judge = p.oracle.kind === 'judge' ? this.resolve(p.oracle.modelId) : undefined;
    const entry: { handle: DnoRunHandle; view: TuneDnoView | null; modelId: string } = { handle: null as unknown as DnoRunHandle, view: null, modelId: model.id };
    const handle = await startDnoRun({ runtime: this.deps.runtime, jobs: this.deps.jobs, rankInLabel: this.deps.rankInLabel, log: this.deps.log }, p, {
      model, judge, dataDirectory: data, workspaceFolder: this.deps.workspaceFolder(), contextSize: this.deps.contextSize(),
      onView: (v) => {
        entry.view = v;
        this.channel.notify('tune/dno', v);
        if (v.state !== 'running') void this.deps.registry.refresh().catch(() => undefined);
      },
    });
    entry.handle = handle;
    this.dnoRuns.set(handle.runDir, entry);
    return { runDir: handle.runDir };
  }

  /** Compare on iterate t and t − 1 (the model itself before iteration 1). */
  private compareDno(runDir: string, iteration: number): { opened: boolean } {
    const run = this.dnoRuns.get(runDir);
    const rows = run?.view?.rows ?? [];
    const row = rows.find((r) => r.iteration === iteration);
    if (!run || !row) throw new ModelLabError('DNO_NO_ITERATE', `Iteration ${iteration} of that DNO run has no adapter yet.`);
    const prev = rows.find((r) => r.iteration === iteration - 1);
    this.deps.openCompare([
      prev ? { kind: 'model', modelId: run.modelId, adapterPath: prev.adapterPath, adapterScale: 1 } : { kind: 'model', modelId: run.modelId },
      { kind: 'model', modelId: run.modelId, adapterPath: row.adapterPath, adapterScale: 1 },
    ]);
    return { opened: true };
  }

  dispose(): void {
    for (const r of this.dnoRuns.values()) r.handle.cancel();
    for (const s of this.subs) s.dispose();
    this.channel.dispose();
  }
}
