import { resolveRunnableModel, runnableModels, type RunnableModel } from '../models/runnableModels.js';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ModelLabError } from '../../engine/errors.js';
import { readGguf } from '../../engine/gguf/index.js';
import { expandFilePattern } from '../../evaluate/readTextInputs.js';
import type { JobService } from '../../jobs/service/JobService.js';
import type { PruneJobParams, PruneJobResult } from '../../jobs/kinds/prune.js';
import type { ScoreJobParams } from '../../jobs/kinds/score.js';
import { NEURON_SCORES_FILE, readNeuronScores } from '../../engine/prune/neuronScoresFile.js';
import type { JobRecord } from '../../protocol/jobs.js';
import type { CompareSource } from '../../protocol/webviewCompare.js';
import {
  PRUNE_CALIBRATED, pruneIncoming,
  type PruneCalibrationSource, type PruneJobView, type PrunePrediction, type PruneProtocol, type PruneScoresView, type PruneStartParams, type PruneState,
} from '../../protocol/webviewPrune.js';
import type { ModelRegistry } from '../models/ModelRegistry.js';
import { WebviewChannel } from '../panels/WebviewChannel.js';
import { toErrorInfo } from '../panels/toErrorInfo.js';
import type { Disposable, HostApi, PanelHandle } from '../vscodeApi/HostApi.js';
import { neuronScoresView } from './neuronScoresView.js';
import { predictPrune } from './predictPrune.js';

export interface PruneDeps {
  registry: ModelRegistry;
  jobs: Pick<JobService, 'start' | 'cancel' | 'get' | 'list' | 'onDidChange'>;
  window: Pick<HostApi['window'], 'pickFile' | 'activeSelection'>;
  /** The data folder (runs, variants); null without a trusted workspace folder. */
  dataDirectory: () => string | null;
  workspaceFolder: () => string | null;
  /** Opens the Compare panel on these columns. */
  openCompare: (columns: CompareSource[]) => void;
  log: (line: string) => void;
}

type Resolved = RunnableModel;

/** Where the editor selection used as calibration text is kept (the job reads files). */
const SELECTION_DIR = 'calibration';
/** The job kinds the panel follows: a prune, or a Score model run (scores only). */
const FOLLOWED_KINDS: ReadonlySet<string> = new Set(['prune', 'score']);

/**
 * The Prune panel: a model or variant, a method, the sparsity, the allocation and the calibration text; the predicted
 * size after pruning from the header; Prune queues a 'prune' job (the Jobs view shows it too) whose progress, ETA
 * and cancel the panel shows; the new variant appears under its parent in the Models view (the registry watches
 * variants/) and Compare opens on the base and the variant. Score model queues a 'score' job (scores only); the
 * followed job's neuron scores (either kind) fill per-layer histograms with the cut at the chosen sparsity and, for
 * methods that run the calibration text, similarity heat maps. The job outlives the panel.
 */
export class PrunePanel implements Disposable {
  readonly channel: WebviewChannel<PruneProtocol>;
  private followed: string | null;
  private initialModel: string | null;
  private readonly subs: Disposable[] = [];
  /** the job whose scores the panel shows, and what it showed (a job's scores are read once) */
  private scores: { jobId: string; view: PruneScoresView | null } | null = null;

  constructor(readonly panel: PanelHandle, private readonly deps: PruneDeps, init: { modelId?: string } = {}) {
    this.initialModel = init.modelId ?? null;
    this.followed = deps.jobs.list().find((r) => FOLLOWED_KINDS.has(r.kind))?.id ?? null;
    this.channel = new WebviewChannel<PruneProtocol>(panel, pruneIncoming, {
      requests: {
        'prune/predict': (p) => this.predict(p.modelId, p.sparsity),
        'prune/pickCalibration': async () => ({
          path: (await deps.window.pickFile({ title: 'Choose a calibration text file', filters: { 'Text files': ['txt', 'md', 'py', 'ts', 'js', 'json', 'jsonl'], 'All files': ['*'] }, defaultPath: deps.workspaceFolder() ?? undefined })) ?? null,
        }),
        'prune/start': (p) => this.start(p),
        'prune/score': (p) => this.score(p),
        'prune/cancel': ({ jobId }) => ({ cancelled: deps.jobs.get(jobId) ? deps.jobs.cancel(jobId) : false }),
        'prune/compare': ({ jobId }) => this.compare(jobId),
      },
      notifications: {},
      onReady: () => {
        this.postState();
        void this.postScores();
      },
    }, deps.log);
    this.subs.push(deps.jobs.onDidChange((r) => {
      if (!r || r.id !== this.followed) return;
      this.channel.notify('prune/job', this.jobView(r));
      if (r.state === 'done') void this.postScores();
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

  state(): PruneState {
    const job = this.followed ? this.deps.jobs.get(this.followed) : undefined;
    return {
      models: this.models().map((m) => ({ id: m.id, name: m.name })),
      model: this.initialModel,
      dataDirectory: this.deps.dataDirectory(),
      job: job ? this.jobView(job) : null,
    };
  }

  private postState(): void {
    try {
      this.channel.notify('prune/state', this.state());
    } catch (e) {
      this.deps.log(`[prune] could not read the state: ${toErrorInfo(e).message}`);
    }
  }

  async predict(modelId: string, sparsity: number): Promise<PrunePrediction> {
    const m = this.resolve(modelId);
    return predictPrune(await readGguf(m.path), m.path, sparsity);
  }

  private needData(): string {
    const data = this.deps.dataDirectory();
    if (!data) throw new ModelLabError('NO_WORKSPACE', 'Open a trusted folder first: pruned variants go to its data folder (modelLab.dataDirectory).');
    return data;
  }

  /** The calibration files the job reads; none means the built-in sample. */
  private async calibrationFiles(source: PruneCalibrationSource, data: string): Promise<string[]> {
    if (source.from === 'sample') return [];
    if (source.from === 'files') {
      const files = await expandFilePattern(source.pattern, this.deps.workspaceFolder() ?? process.cwd());
      if (files.length === 0) throw new ModelLabError('NO_FILES', `no file matches ${source.pattern}`);
      return files;
    }
    const text = this.deps.window.activeSelection()?.text ?? '';
    if (!text.trim()) throw new ModelLabError('NO_SELECTION', 'Select the calibration text in an editor first, or pick the built-in sample or a file.');
    // kept under the data folder by content, so the run's calibration hash names the same text on a resume
    const dir = path.join(data, SELECTION_DIR);
    await fs.mkdir(dir, { recursive: true });
    const file = path.join(dir, `selection-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.txt`);
    await fs.writeFile(file, text);
    return [file];
  }

  /** The followed job's scores, read from its run folder once it is done (null while there are none). */
  async scoresView(): Promise<PruneScoresView | null> {
    const r = this.followed ? this.deps.jobs.get(this.followed) : undefined;
    if (!r || r.state !== 'done' || !FOLLOWED_KINDS.has(r.kind)) return null;
    if (this.scores?.jobId === r.id) return this.scores.view;
    const model = (r.params as { model: string }).model;
    let view: PruneScoresView | null = null;
    try {
      const record = await readNeuronScores(path.join(r.runDir, NEURON_SCORES_FILE));
      view = neuronScoresView(record, { jobId: r.id, source: r.kind === 'score' ? 'score' : 'prune', modelName: this.modelNameOf(model) });
    } catch (e) {
      // a prune job from before scores were kept, or a run folder cleaned up: nothing to draw
      this.deps.log(`[prune] no neuron scores for ${r.id}: ${toErrorInfo(e).message}`);
    }
    this.scores = { jobId: r.id, view };
    return view;
  }

  private async postScores(): Promise<void> {
    try {
      this.channel.notify('prune/scores', await this.scoresView());
    } catch (e) {
      this.deps.log(`[prune] could not show the scores: ${toErrorInfo(e).message}`);
    }
  }

  /** Score model: a 'score' job with the panel's method and calibration (nothing is written but its scores). */
  async score(p: PruneStartParams): Promise<{ jobId: string }> {
    const data = this.needData();
    const model = this.resolve(p.modelId);
    const params: ScoreJobParams = {
      model: model.path, method: p.method, sparsity: p.sparsity, allocation: p.allocation, backend: 'wasm', threads: 2,
      ...(PRUNE_CALIBRATED.includes(p.method) ? { calibrationFiles: await this.calibrationFiles(p.calibration, data) } : {}),
    };
    const r = await this.deps.jobs.start('score', params, `Score ${model.name} (${p.method})`);
    this.followed = r.id;
    this.channel.notify('prune/job', this.jobView(r));
    this.channel.notify('prune/scores', null);
    return { jobId: r.id };
  }

  async start(p: PruneStartParams): Promise<{ jobId: string }> {
    const data = this.needData();
    const model = this.resolve(p.modelId);
    const calibrated = PRUNE_CALIBRATED.includes(p.method);
    const params: PruneJobParams = {
      model: model.path, method: p.method, sparsity: p.sparsity, allocation: p.allocation, dataDirectory: data, backend: 'wasm', threads: 2,
      ...(calibrated ? { calibrationFiles: await this.calibrationFiles(p.calibration, data) } : {}),
    };
    const r = await this.deps.jobs.start('prune', params, `Prune ${model.name} (${p.method}, ${Math.round(p.sparsity * 100)} %, ${p.allocation})`);
    this.followed = r.id;
    this.channel.notify('prune/job', this.jobView(r));
    return { jobId: r.id };
  }

  private modelIdOf(modelPath: string): string {
    return this.models().find((m) => path.resolve(m.path) === path.resolve(modelPath))?.id ?? modelPath;
  }

  private modelNameOf(modelPath: string): string {
    return this.models().find((m) => path.resolve(m.path) === path.resolve(modelPath))?.name ?? path.basename(modelPath);
  }

  jobView(r: JobRecord): PruneJobView {
    const p = r.progress;
    const result = r.state === 'done' && r.kind === 'prune' ? (r.result as PruneJobResult | undefined) : undefined;
    return {
      jobId: r.id, title: r.title, state: r.state,
      phase: p?.phase ?? null, fraction: r.state === 'done' ? 1 : p?.fraction ?? 0,
      etaSec: r.state === 'running' ? p?.etaSec ?? null : null,
      error: r.error && r.state !== 'done' ? r.error.message : null,
      result: result ? {
        variantId: result.variantId, variantPath: result.outputPath, baseModelId: this.modelIdOf((r.params as PruneJobParams).model),
        perLayerKept: result.perLayerKept, nFfBefore: result.nFfBefore, bytesBefore: result.bytesBefore, bytesAfter: result.bytesAfter, notes: result.notes,
      } : null,
    };
  }

  private compare(jobId: string): { opened: boolean } {
    const r = this.deps.jobs.get(jobId);
    const result = r?.state === 'done' && r.kind === 'prune' ? (r.result as PruneJobResult | undefined) : undefined;
    if (!r || !result) throw new ModelLabError('PRUNE_NOT_DONE', 'That prune job has no variant yet; wait for it to finish.');
    const base = this.modelIdOf((r.params as PruneJobParams).model);
    this.deps.openCompare([{ kind: 'model', modelId: base }, { kind: 'model', modelId: result.outputPath }]);
    return { opened: true };
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.channel.dispose();
  }
}
