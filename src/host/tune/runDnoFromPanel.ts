// DNO iterations started from the Tune panel: the loop of src/tune/dno run by the host against the runtime process
// (sampling, judging, measuring through llama.cpp) with each iteration's training as a 'tune' job (the Jobs view
// shows it; the job process trains from the previous iterate with it as the reference). The oracle is the user —
// each prompt's samples open in the Label panel as one comparison and the iteration waits for it — or a judge model.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { AbortedError, ModelLabError } from '../../engine/errors.js';
import { readGguf } from '../../engine/gguf/index.js';
import { archKey, GENERAL, TOKENIZER } from '../../engine/gguf/metadataKeys.js';
import { readPrompts } from '../../evaluate/readPrompts.js';
import type { EvalRuntime } from '../../evaluate/EvalRuntime.js';
import type { JobService } from '../../jobs/service/JobService.js';
import type { TuneJobParams, TuneJobResult } from '../../jobs/kinds/tune.js';
import type { JobRecord } from '../../protocol/jobs.js';
import type { TuneDnoRow, TuneDnoStartParams, TuneDnoView } from '../../protocol/webviewTune.js';
import {
  DEFAULT_DNO, dnoPairRules, judgeModelOracle, readDnoHistory, runDno, type DnoHistory, type DnoOracle, type DnoTrainer, type DnoTrainRequest,
} from '../../tune/dno/index.js';
import { createRunFolder, workspacePaths } from '../../workspace/index.js';
import { PreferenceStore } from '../../workspace/preferences/index.js';
import type { RunnableModel } from '../models/runnableModels.js';
import type { RuntimeService } from '../runtime/RuntimeService.js';
import { labelOracle, type RankInLabel } from './labelOracle.js';

export interface DnoPanelDeps {
  runtime: RuntimeService;
  jobs: Pick<JobService, 'start' | 'cancel' | 'resume' | 'get' | 'onDidChange'>;
  /** The user's ranking of one prompt's candidates in the Label panel. */
  rankInLabel: RankInLabel;
  log: (line: string) => void;
}

const JOB_RECORD = 'job.json';

/** Resolves with the job's record once it is done; a failed, cancelled or crashed job rejects with its reason. */
function jobDone(jobs: DnoPanelDeps['jobs'], id: string, signal: AbortSignal | undefined, onProgress?: (f: number) => void): Promise<JobRecord> {
  return new Promise((resolve, reject) => {
    const finish = (r: JobRecord | undefined): boolean => {
      if (!r) return false;
      if (r.state === 'done') { sub.dispose(); signal?.removeEventListener('abort', onAbort); resolve(r); return true; }
      if (r.state === 'failed' || r.state === 'cancelled' || r.state === 'crashed') {
        sub.dispose();
        signal?.removeEventListener('abort', onAbort);
        reject(r.error?.code === 'ABORTED' && signal?.aborted ? new AbortedError() : new ModelLabError('DNO_TRAINING_FAILED', `The DNO iteration's tune job ${r.state}: ${r.error?.message ?? 'no reason given'}`));
        return true;
      }
      onProgress?.(r.progress?.fraction ?? 0);
      return false;
    };
    const onAbort = (): void => { jobs.cancel(id); };
    signal?.addEventListener('abort', onAbort, { once: true });
    const sub = jobs.onDidChange((r) => { if (r?.id === id) finish(r); });
    finish(jobs.get(id));
  });
}

/**
 * A DnoTrainer on the job service: one 'tune' job per iteration (DPO, one epoch, from the previous iterate with it
 * as the reference), its id kept in the iteration's trainer folder so a resumed DNO run finishes the same job.
 */
export function jobTrainer(deps: DnoPanelDeps, o: { model: string; dataDirectory: string; modelName: string; seed: number }): DnoTrainer {
  return {
    async train(req: DnoTrainRequest) {
      await fs.mkdir(req.runDir, { recursive: true });
      const record = path.join(req.runDir, JOB_RECORD);
      const earlier = await fs.readFile(record, 'utf8').then((s) => (JSON.parse(s) as { jobId: string }).jobId, () => undefined);
      let job = earlier ? deps.jobs.get(earlier) : undefined;
      if (!job) {
        const params: TuneJobParams = {
          model: o.model, pairs: { from: 'file', path: req.pairsFile }, dataDirectory: o.dataDirectory,
          // every pair of the iteration trains: DNO measures iterates on its own validation prompts
          choices: { method: 'dpo', epochs: 1, seed: o.seed + req.iteration, heldOut: 0 },
          ...(req.initAdapter ? { initAdapter: req.initAdapter, reference: 'init' as const } : {}),
          variantParameters: { dno: { iteration: req.iteration, previous: req.previousVariantId ?? null } },
          backend: 'wasm', threads: 2,
        };
        job = await deps.jobs.start('tune', params, `DNO ${o.modelName}: iteration ${req.iteration}`);
        await fs.writeFile(record, JSON.stringify({ jobId: job.id }) + '\n');
      } else if (job.state !== 'done' && job.state !== 'running' && job.state !== 'queued') {
        job = deps.jobs.resume(job.id);
      }
      const done = await jobDone(deps.jobs, job.id, req.signal, req.onProgress);
      const r = done.result as TuneJobResult;
      return { adapter: r.outputPath, variantId: r.variantId, steps: r.steps, trainLoss: r.finalLoss };
    },
  };
}

/** The prompts of a DNO run: the preference store's comparisons (each prompt once) or a prompts file. */
async function dnoPrompts(p: TuneDnoStartParams, dataDirectory: string, workspaceFolder: string | null): Promise<string[]> {
  if (p.prompts.from === 'file') return readPrompts(path.resolve(workspaceFolder ?? '', p.prompts.path));
  const store = await PreferenceStore.open(workspacePaths(dataDirectory).preferences);
  const seen = new Set<string>();
  for (const r of (await store.read()).records) {
    if (r.kind !== 'comparison') continue;
    const text = r.prompt.text ?? r.prompt.messages?.filter((m) => m.role === 'user').at(-1)?.content;
    if (text) seen.add(text);
  }
  return [...seen];
}

/** The history table: the base, then each iteration, the best marked. */
export function dnoView(runDir: string, h: DnoHistory | undefined, live: Pick<TuneDnoView, 'state' | 'phase' | 'iteration' | 'iterations' | 'fraction' | 'message'>): TuneDnoView {
  const rows: TuneDnoRow[] = (h?.iterations ?? []).map((r) => ({
    iteration: r.iteration, pairs: r.pairs, replayed: r.replayed, metric: r.metric, heldOutAccuracy: r.heldOutAccuracy ?? null,
    adapterPath: r.adapter, variantId: r.variantId ?? null, best: h?.best === r.iteration,
  }));
  return { runDir, ...live, baseline: h ? h.baseline.metric : null, oracle: h?.oracle ?? null, rows, stopped: h?.stopped ?? null };
}

export interface DnoRunHandle {
  runDir: string;
  done: Promise<void>;
  cancel(): void;
}

/**
 * Starts a DNO run in a new run folder of the data directory (or continues `p.resume`'s) and reports its view as it
 * goes. The model (and a judge) are loaded in the runtime process; nothing heavy runs in the host.
 */
export async function startDnoRun(deps: DnoPanelDeps, p: TuneDnoStartParams, o: {
  model: RunnableModel; judge?: RunnableModel; dataDirectory: string; workspaceFolder: string | null; contextSize: number; onView: (v: TuneDnoView) => void;
}): Promise<DnoRunHandle> {
  const prompts = await dnoPrompts(p, o.dataDirectory, o.workspaceFolder);
  if (prompts.length === 0) {
    throw new ModelLabError('DNO_NO_PROMPTS', p.prompts.from === 'store'
      ? 'The preference store has no prompts yet: label some comparisons first, or choose a prompts file.' : 'The prompts file holds no prompts.');
  }
  const md = (await readGguf(o.model.path)).metadata;
  const mode = typeof md[TOKENIZER.chatTemplate] === 'string' ? 'chat' as const : 'completion' as const;
  const ctx = Math.min(o.contextSize, Number(md[archKey(String(md[GENERAL.architecture]), 'contextLength')] ?? 512));
  const runDir = (await createRunFolder(o.dataDirectory, 'dno')).dir;
  const ac = new AbortController();
  const live: Pick<TuneDnoView, 'state' | 'phase' | 'iteration' | 'iterations' | 'fraction' | 'message'> = {
    state: 'running', phase: 'baseline', iteration: 0, iterations: p.iterations, fraction: 0, message: null,
  };
  const post = async (): Promise<void> => o.onView(dnoView(runDir, await readDnoHistory(runDir).catch(() => undefined), live));

  const done = (async () => {
    try {
      const rt = await deps.runtime.get();
      if (!rt.evalRuntime) throw new ModelLabError('EVAL_UNSUPPORTED', 'This model runtime cannot score text; restart Model Lab.');
      const ev: EvalRuntime = await rt.evalRuntime();
      const loaded = await deps.runtime.ensureLoaded(o.model.id, o.model.name, o.model.path, ac.signal);
      const maxTokens = Math.max(16, Math.min(64, Math.floor(ctx / 4)));
      let oracle: DnoOracle;
      if (p.oracle.kind === 'judge') {
        const judge = o.judge!;
        const j = await deps.runtime.ensureLoaded(judge.id, judge.name, judge.path, ac.signal);
        oracle = judgeModelOracle(ev, { modelId: j.info.handle, label: judge.name }, { contextSize: ctx });
      } else {
        oracle = labelOracle(deps.rankInLabel, {
          model: { id: o.model.id, name: o.model.name, path: o.model.path }, mode: mode === 'chat' ? 'chat' : 'complete',
          sampling: { temperature: DEFAULT_DNO.temperature, topP: DEFAULT_DNO.topP, maxTokens },
        });
      }
      await runDno({
        runDir, rt: ev, model: { modelId: loaded.info.handle, label: o.model.name }, oracle,
        trainer: jobTrainer(deps, { model: o.model.path, dataDirectory: o.dataDirectory, modelName: o.model.name, seed: DEFAULT_DNO.seed }),
        prompts,
        settings: {
          iterations: p.iterations, samples: p.samples, temperature: DEFAULT_DNO.temperature, topP: DEFAULT_DNO.topP, maxTokens, mode,
          rules: dnoPairRules(oracle.range), replayShare: DEFAULT_DNO.replayShare, seed: DEFAULT_DNO.seed, validationSamples: DEFAULT_DNO.validationSamples,
        },
        contextSize: ctx, signal: ac.signal,
        onProgress: (pr) => {
          Object.assign(live, { phase: pr.phase, iteration: pr.iteration, fraction: pr.fraction,
            message: p.oracle.kind === 'me' && pr.phase !== 'training' ? 'Rank the samples in the Label panel as they come: the iteration continues when each prompt is labelled.' : null });
          void post();
        },
        log: (line) => deps.log(`[dno] ${line}`),
      });
      Object.assign(live, { state: 'done', phase: 'done', fraction: 1, message: null });
    } catch (e) {
      const aborted = ac.signal.aborted || e instanceof AbortedError;
      Object.assign(live, { state: aborted ? 'cancelled' : 'failed', message: aborted ? 'Cancelled.' : (e as Error).message.split('\n')[0] });
      if (!aborted) deps.log(`[dno] ${runDir}: ${(e as Error).message}`);
    }
    await post();
  })();
  void post();
  return { runDir, done, cancel: () => ac.abort() };
}
