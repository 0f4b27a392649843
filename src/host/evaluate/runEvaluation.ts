// One evaluation asked by the Evaluate panel, on the host's runtime process: the same src/evaluate functions and
// the same report as `model-lab eval`, models loaded through the RuntimeService (so the Models view shows them).
import path from 'node:path';
import { ModelLabError } from '../../engine/errors.js';
import { readGguf } from '../../engine/gguf/index.js';
import { chatFormatOf, pairTexts, readTrlPairs } from '../../engine/tune/index.js';
import type { EvalReport, ReportedModel } from '../../evaluate/EvalReport.js';
import type { EvalModel, EvalProgress, EvalRuntime } from '../../evaluate/EvalRuntime.js';
import { perplexityEval } from '../../evaluate/perplexityEval.js';
import { preferenceAccuracy } from '../../evaluate/preferenceAccuracy.js';
import { readPrompts } from '../../evaluate/readPrompts.js';
import { readTextInputs } from '../../evaluate/readTextInputs.js';
import { DEFAULT_RUBRIC, winRate } from '../../evaluate/winRate.js';
import type { EvalSpec, EvalTarget } from '../../protocol/webviewEvaluate.js';
import { derivePairs, formatPairs, PreferenceStore } from '../../workspace/preferences/index.js';
import { workspacePaths, writeFileAtomic } from '../../workspace/index.js';
import type { LoadedState, RuntimeService } from '../runtime/RuntimeService.js';

export interface ResolvedModel {
  id: string;
  name: string;
  path: string;
}

export interface EvaluationDeps {
  runtime: RuntimeService;
  /** A target's model in the Models view (a listed model, or a model variant by path); throws when it is gone. */
  resolve: (modelId: string) => ResolvedModel;
  /** Checks an adapter with our GGUF reader before the runtime sees it; throws a one-line error. */
  validateAdapter: (path: string, signal: AbortSignal) => Promise<void>;
  dataDirectory: string;
  /** Where a glob's relative paths start (the first workspace folder). */
  cwd: string;
}

/** The report of one run, less its folder id and duration (the caller knows them when it writes the files). */
export type EvaluationOutcome = EvalReport extends infer R ? (R extends unknown ? Omit<R, 'id' | 'seconds'> : never) : never;

interface Prepared {
  model: EvalModel;
  reported: ReportedModel;
  state: LoadedState;
  path: string;
}

async function evalRuntimeOf(runtime: RuntimeService): Promise<EvalRuntime> {
  const rt = await runtime.get();
  if (!rt.evalRuntime) throw new ModelLabError('EVAL_UNSUPPORTED', 'This model runtime cannot run evaluations; restart Model Lab.');
  return rt.evalRuntime();
}

async function prepare(deps: EvaluationDeps, target: EvalTarget, signal: AbortSignal): Promise<Prepared> {
  const m = deps.resolve(target.modelId);
  if (target.adapterPath) await deps.validateAdapter(target.adapterPath, signal);
  const state = await deps.runtime.ensureLoaded(m.id, m.name, m.path, signal);
  const scale = target.adapterScale ?? 1;
  const lora = target.adapterPath ? [{ path: target.adapterPath, scale }] : undefined;
  const label = target.adapterPath ? `${m.name} + ${path.basename(target.adapterPath)} × ${scale}` : m.name;
  return {
    model: { modelId: state.info.handle, label, lora },
    reported: { label: m.name, file: m.path, ...(target.adapterPath ? { lora: { file: target.adapterPath, scale } } : {}) },
    state,
    path: m.path,
  };
}

/** The workspace's preference store as TRL pairs in the run folder (ties left out, as `model-lab pairs export`). */
async function exportStorePairs(dataDirectory: string, dir: string): Promise<string> {
  const store = await PreferenceStore.open(workspacePaths(dataDirectory).preferences);
  const { records } = await store.read();
  const out = formatPairs(derivePairs(records, { ties: 'skip' }).pairs, { format: 'trl', shape: 'auto' });
  if (out.rows === 0) throw new ModelLabError('NO_PAIRS', 'The preference store has no pairs yet: label some comparisons first (Generate Alternatives, or blind votes in Compare).');
  const file = path.join(dir, 'pairs.jsonl');
  await writeFileAtomic(file, out.text);
  return file;
}

/**
 * Runs `spec` into the run folder `dir` (only the store's exported pairs are written there; the caller writes the
 * report). Cancelling `signal` stops it between items with the runtime's AbortedError.
 */
export async function runEvaluation(
  spec: EvalSpec,
  deps: EvaluationDeps,
  opts: { dir: string; signal: AbortSignal; onProgress: EvalProgress },
): Promise<EvaluationOutcome> {
  const { signal, onProgress } = opts;
  const rt = await evalRuntimeOf(deps.runtime);
  const a = await prepare(deps, spec.target, signal);
  const base = { schemaVersion: 1 as const, created: new Date().toISOString(), model: a.reported };

  if (spec.kind === 'perplexity') {
    const texts = spec.input.from === 'text'
      ? [{ name: spec.input.name, text: spec.input.text }]
      : await readTextInputs(spec.input.pattern, deps.cwd);
    // the runtime's default window, as `model-lab ppl` without --context: the panel's numbers equal the CLI's
    const result = await perplexityEval(rt, a.model, texts, { signal, onProgress });
    return { ...base, kind: 'perplexity', inputs: texts.map((t) => (spec.input.from === 'glob' ? path.resolve(deps.cwd, t.name) : t.name)), result };
  }

  if (spec.kind === 'preference-accuracy') {
    const pairsFile = spec.pairs.from === 'store' ? await exportStorePairs(deps.dataDirectory, opts.dir) : path.resolve(deps.cwd, spec.pairs.path);
    const format = chatFormatOf((await readGguf(a.path, { signal })).metadata);
    const texts = readTrlPairs(pairsFile).map((p) => pairTexts(p, format));
    if (texts.length === 0) throw new ModelLabError('NO_PAIRS', `${pairsFile} holds no pairs`);
    const withAdapter = a.model.lora !== undefined;
    const half = (offset: number): EvalProgress => (done, total, what) => onProgress(offset + done, withAdapter ? 2 * total : total, what);
    const result = await preferenceAccuracy(rt, a.model, texts, { signal, onProgress: half(0) });
    const withoutAdapter = withAdapter
      ? await preferenceAccuracy(rt, { modelId: a.model.modelId, label: a.reported.label }, texts, { signal, onProgress: half(texts.length) })
      : undefined;
    return { ...base, kind: 'preference-accuracy', pairsFile, result, ...(withoutAdapter ? { withoutAdapter } : {}) };
  }

  const b = await prepare(deps, spec.against, signal);
  const judge = await prepare(deps, spec.judge, signal);
  const promptsFile = path.resolve(deps.cwd, spec.promptsFile);
  const prompts = await readPrompts(promptsFile);
  if (prompts.length === 0) throw new ModelLabError('BAD_PROMPTS', `${promptsFile} holds no prompts`);
  const sampling = { maxTokens: spec.maxTokens, temperature: 0 };
  const rubric = spec.rubric?.trim() ? spec.rubric : DEFAULT_RUBRIC;
  const result = await winRate(rt, {
    a: { ...a.model, mode: a.state.info.chatTemplate ? 'chat' : 'completion' },
    b: { ...b.model, mode: b.state.info.chatTemplate ? 'chat' : 'completion' },
    judge: judge.model, prompts, rubric, ...sampling, signal, onProgress,
  });
  return { ...base, kind: 'win-rate', promptsFile, against: b.reported, judge: judge.reported, rubric, sampling, result };
}
