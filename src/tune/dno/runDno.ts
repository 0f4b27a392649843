// The DNO loop (Direct Nash Optimization, batched on-policy): each iteration samples K answers per prompt from base +
// the current adapter through llama.cpp, adds the gold answers it has, ranks them with an oracle, builds pairs by
// DNO's rules, mixes in a decaying share of earlier pairs, trains at most one epoch from the current adapter with
// it as the reference (a DnoTrainer: the engine in-process for the CLI, a tune job for the host), and measures the
// new adapter on validation prompts. The run folder keeps every step (candidates, pairs, the trainer's run), and
// dno.json the history, so a run stopped anywhere continues where it was.
import { existsSync, promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { throwIfAborted } from '../../engine/errors.js';
import { withSession } from '../../evaluate/completionLogprob.js';
import type { EvalModel, EvalRuntime } from '../../evaluate/EvalRuntime.js';
import { preferenceAccuracy, type PairText } from '../../evaluate/preferenceAccuracy.js';
import { writeFileAtomic, writeJsonAtomic } from '../../workspace/index.js';
import { DnoError } from './DnoError.js';
import type { DnoOracle } from './DnoOracle.js';
import { dnoPairs, replayPairs, type DnoCandidate, type DnoPair, type DnoPairRules, type SkipReason } from './dnoPairs.js';

/** One iteration's training, as the caller runs it: TRL pairs in, an adapter (and its variant) out. */
export interface DnoTrainRequest {
  iteration: number;
  /** TRL JSONL: the iteration's new pairs and the replayed ones (extra fields: iteration, scores). */
  pairsFile: string;
  pairs: number;
  /** The trainer's own run folder (checkpoints, metrics.jsonl): the same on a resumed iteration. */
  runDir: string;
  /** The previous iterate: training starts from it and it is the reference. None in iteration 1. */
  initAdapter?: string;
  previousVariantId?: string;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}
export interface DnoTrainResult { adapter: string; variantId?: string; steps: number; trainLoss: number }
export interface DnoTrainer { train(req: DnoTrainRequest): Promise<DnoTrainResult> }

/** Everything that decides a run's result besides its data (hashed: a run folder only continues the same run). */
export interface DnoSettings {
  iterations: number;
  /** K: samples per prompt. */
  samples: number;
  temperature: number;
  topP: number;
  maxTokens: number;
  /** completion: prompts are raw text to continue; chat: one user turn through the model's chat template. */
  mode: 'completion' | 'chat';
  rules: DnoPairRules;
  replayShare: number;
  seed: number;
  /** Fresh samples per validation prompt for the held-out metric. */
  validationSamples: number;
}

export const DEFAULT_DNO = { iterations: 2, samples: 4, temperature: 0.7, topP: 0.95, replayShare: 0.3, seed: 1, validationSamples: 2 } as const;

export interface DnoIterationRecord {
  iteration: number;
  /** New pairs (those that passed the rules) and earlier ones mixed in. */
  pairs: number;
  replayed: number;
  skipped: Record<SkipReason, number>;
  steps: number;
  trainLoss: number;
  /** The held-out metric: mean oracle score of fresh samples on the validation prompts. */
  metric: number;
  /** Held-out preference accuracy by llama.cpp with this adapter, when held-out pairs were given. */
  heldOutAccuracy?: number;
  /** Share of this iteration's own samples the oracle scored at the top of its range. */
  topShare: number;
  adapter: string;
  variantId?: string;
  previousVariantId?: string;
  seconds: number;
}

export interface DnoHistory {
  version: 1;
  settingsHash: string;
  oracle: string;
  /** The base model (no adapter) measured the same way, before iteration 1. */
  baseline: { metric: number; heldOutAccuracy?: number };
  iterations: DnoIterationRecord[];
  /** The iteration whose adapter scored the highest metric (the earlier on ties); null before the first. */
  best: number | null;
  /** Why the loop ended before its last iteration. */
  stopped?: string;
}

export interface DnoProgress { iteration: number; iterations: number; phase: 'baseline' | 'sampling' | 'judging' | 'training' | 'measuring' | 'done'; fraction: number }

export interface DnoRunOptions {
  runDir: string;
  rt: EvalRuntime;
  /** The base model, loaded in the runtime (no adapter: each iteration adds its own). */
  model: EvalModel;
  oracle: DnoOracle;
  trainer: DnoTrainer;
  prompts: string[];
  /** Prompts the metric samples; default the training prompts (with seeds of their own). */
  validationPrompts?: string[];
  /** Gold answers by prompt (a user's edits, seed pairs' chosen answers): candidates in every iteration. */
  golds?: ReadonlyMap<string, string[]>;
  /** Pairs given by the user: replayed as iteration 0's. */
  seedPairs?: DnoPair[];
  heldOutPairs?: PairText[];
  settings: DnoSettings;
  contextSize?: number;
  signal?: AbortSignal;
  onProgress?: (p: DnoProgress) => void;
  log?: (line: string) => void;
}

export const HISTORY_FILE = 'dno.json';
const iterDir = (runDir: string, t: number): string => path.join(runDir, `iter-${t}`);
const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** Sampling seeds: distinct per iteration, prompt and sample; validation seeds are the same for every iterate. */
const sampleSeed = (seed: number, t: number, i: number, k: number): number => (seed * 1_000_003 + t * 100_003 + i * 131 + k) >>> 0;
const validationSeed = (seed: number, i: number, k: number): number => (sampleSeed(seed, 0, i, k) ^ 0x5bd1e995) >>> 0;

/** K answers per prompt from the model with `adapter` (none: the base). */
async function sample(o: DnoRunOptions, adapter: string | undefined, prompts: string[], k: number, seedOf: (i: number, j: number) => number,
  onItem: (done: number) => void): Promise<string[][]> {
  const s = o.settings;
  const id = `dno-sample-${Math.random().toString(36).slice(2, 8)}`;
  return withSession(o.rt, { id, modelId: o.model.modelId, lora: adapter ? [{ path: adapter }] : undefined, contextSize: o.contextSize }, o.signal, async (sessionId) => {
    const out: string[][] = [];
    for (const [i, prompt] of prompts.entries()) {
      const answers: string[] = [];
      for (let j = 0; j < k; j++) {
        throwIfAborted(o.signal);
        await o.rt.resetSession(sessionId);
        const g = await o.rt.generate({
          sessionId, generationId: `${id}-${i}-${j}`, prompt, mode: s.mode, maxTokens: s.maxTokens, temperature: s.temperature, topP: s.topP, seed: seedOf(i, j),
        }, undefined, o.signal);
        answers.push(g.text);
      }
      out.push(answers);
      onItem(i + 1);
    }
    return out;
  });
}

/** The held-out numbers of a model (base + adapter, or the base alone). */
async function measure(o: DnoRunOptions, adapter: string | undefined, onFraction: (f: number) => void): Promise<{ metric: number; heldOutAccuracy?: number }> {
  const prompts = o.validationPrompts?.length ? o.validationPrompts : o.prompts;
  const n = o.settings.validationSamples;
  const answers = await sample(o, adapter, prompts, n, (i, j) => validationSeed(o.settings.seed, i, j), (d) => onFraction(0.5 * (d / prompts.length)));
  const scores: number[] = [];
  for (const [i, prompt] of prompts.entries()) {
    scores.push(...await o.oracle.score(prompt, answers[i]!, o.signal));
    onFraction(0.5 + 0.4 * ((i + 1) / prompts.length));
  }
  const out: { metric: number; heldOutAccuracy?: number } = { metric: mean(scores) };
  if (o.heldOutPairs?.length) {
    out.heldOutAccuracy = (await preferenceAccuracy(o.rt, { ...o.model, lora: adapter ? [{ path: adapter }] : undefined }, o.heldOutPairs,
      { contextSize: o.contextSize, signal: o.signal })).accuracy;
  }
  onFraction(1);
  return out;
}

/** A pair as a TRL line: strings for raw text; message lists in chat mode, so the chat template applies in training. */
function trlLine(p: DnoPair, mode: DnoSettings['mode']): string {
  const extra = { iteration: p.iteration, chosen_score: p.chosenScore, rejected_score: p.rejectedScore, chosen_source: p.chosenSource };
  if (mode === 'completion') return JSON.stringify({ prompt: p.prompt, chosen: p.chosen, rejected: p.rejected, ...extra });
  return JSON.stringify({
    prompt: [{ role: 'user', content: p.prompt }], chosen: [{ role: 'assistant', content: p.chosen }], rejected: [{ role: 'assistant', content: p.rejected }], ...extra,
  });
}

async function readJson<T>(file: string): Promise<T | undefined> {
  return fs.readFile(file, 'utf8').then((s) => JSON.parse(s) as T, () => undefined);
}

function bestOf(iterations: DnoIterationRecord[]): number | null {
  let best: DnoIterationRecord | null = null;
  for (const r of iterations) if (!best || r.metric > best.metric) best = r;
  return best ? best.iteration : null;
}

/**
 * Runs (or continues) DNO iterations in `runDir` until `settings.iterations` are done or an iteration makes no
 * pair (the loop stops there: training on replayed pairs alone would not be on-policy; the history says why).
 */
export async function runDno(o: DnoRunOptions): Promise<DnoHistory> {
  const s = o.settings;
  if (o.prompts.length === 0) throw new DnoError('DNO_NO_PROMPTS', 'DNO needs prompts to sample from, and the prompt list is empty.');
  if (!(Number.isInteger(s.iterations) && s.iterations >= 1 && Number.isInteger(s.samples) && s.samples >= 2)) {
    throw new DnoError('DNO_CONFIG', 'DNO needs at least 1 iteration and 2 samples per prompt.');
  }
  await fs.mkdir(o.runDir, { recursive: true });
  // the number of iterations is left out: a finished run can be continued for more
  const { iterations: _more, ...decisive } = s;
  const settingsHash = createHash('sha256').update(JSON.stringify({ s: decisive, oracle: o.oracle.name, prompts: o.prompts, validation: o.validationPrompts ?? null })).digest('hex');
  const historyFile = path.join(o.runDir, HISTORY_FILE);
  let history = await readJson<DnoHistory>(historyFile);
  if (history && history.settingsHash !== settingsHash) {
    throw new DnoError('DNO_HISTORY', `${o.runDir} holds a DNO run with other settings, prompts or oracle; start a new run instead of resuming this one.`);
  }
  const total = s.iterations + 1;
  const report = (iteration: number, phase: DnoProgress['phase'], f: number): void =>
    o.onProgress?.({ iteration, iterations: s.iterations, phase, fraction: Math.min(1, (iteration + f) / total) });
  if (!history) {
    o.log?.('measuring the base model');
    const baseline = await measure(o, undefined, (f) => report(0, 'baseline', f));
    history = { version: 1, settingsHash, oracle: o.oracle.name, baseline, iterations: [], best: null };
    await writeJsonAtomic(historyFile, history);
  }
  while (history.iterations.length < s.iterations && !history.stopped) {
    const t = history.iterations.length + 1;
    const started = Date.now();
    const dir = iterDir(o.runDir, t);
    await fs.mkdir(dir, { recursive: true });
    const prev = history.iterations[t - 2];

    // a–b: samples of the current policy (+ gold answers), scored side by side; kept, so a resume does not redo them
    const candidatesFile = path.join(dir, 'candidates.json');
    let scored = await readJson<Array<{ prompt: string; candidates: DnoCandidate[] }>>(candidatesFile);
    if (!scored) {
      o.log?.(`iteration ${t}: sampling ${s.samples} answers for each of ${o.prompts.length} prompts`);
      const answers = await sample(o, prev?.adapter, o.prompts, s.samples, (i, j) => sampleSeed(s.seed, t, i, j), (d) => report(t, 'sampling', 0.4 * (d / o.prompts.length)));
      scored = [];
      for (const [i, prompt] of o.prompts.entries()) {
        const texts = [...answers[i]!, ...(o.golds?.get(prompt) ?? [])];
        const scores = await o.oracle.score(prompt, texts, o.signal);
        scored.push({ prompt, candidates: texts.map((text, j) => ({ text, source: j < s.samples ? 'sample' : 'gold', score: scores[j]! })) });
        report(t, 'judging', 0.4 + 0.1 * ((i + 1) / o.prompts.length));
      }
      await writeJsonAtomic(candidatesFile, scored);
    }
    const samples = scored.flatMap((x) => x.candidates.filter((c) => c.source === 'sample'));
    const topShare = samples.filter((c) => c.score >= o.oracle.range.max).length / Math.max(1, samples.length);

    // c–d: DNO's pairs, and earlier iterations' pairs at a decaying share
    const made = dnoPairs(scored, s.rules, t);
    await writeFileAtomic(path.join(dir, 'pairs.jsonl'), made.pairs.map((p) => JSON.stringify(p) + '\n').join(''));
    o.log?.(`iteration ${t}: ${made.pairs.length} pairs (skipped: ${made.skipped.low} without a high-scoring answer, ${made.skipped.tie} ties, ${made.skipped.margin} under the margin)`);
    if (made.pairs.length === 0) {
      history = { ...history, stopped: `iteration ${t} made no pair: no prompt had an answer scoring ≥ ${s.rules.minPositive} with another far enough below it` };
      await writeJsonAtomic(historyFile, history);
      break;
    }
    const earlier: DnoPair[][] = [];
    for (let j = t - 1; j >= 1; j--) {
      const text = await fs.readFile(path.join(iterDir(o.runDir, j), 'pairs.jsonl'), 'utf8');
      earlier.push(text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as DnoPair));
    }
    if (o.seedPairs?.length) earlier.push(o.seedPairs);
    const replayed = replayPairs(earlier, made.pairs.length, s.seed, t, s.replayShare);
    const pairsFile = path.join(dir, 'train.jsonl');
    await writeFileAtomic(pairsFile, [...made.pairs, ...replayed].map((p) => trlLine(p, s.mode) + '\n').join(''));

    // e: at most one epoch from the previous iterate, with it as the reference
    const trained = await o.trainer.train({
      iteration: t, pairsFile, pairs: made.pairs.length + replayed.length, runDir: path.join(dir, 'train'),
      initAdapter: prev?.adapter, previousVariantId: prev?.variantId, signal: o.signal, onProgress: (f) => report(t, 'training', 0.5 + 0.35 * f),
    });

    // f: the new iterate, measured
    const m = await measure(o, trained.adapter, (f) => report(t, 'measuring', 0.85 + 0.15 * f));
    const record: DnoIterationRecord = {
      iteration: t, pairs: made.pairs.length, replayed: replayed.length, skipped: made.skipped, steps: trained.steps, trainLoss: trained.trainLoss,
      metric: m.metric, ...(m.heldOutAccuracy !== undefined ? { heldOutAccuracy: m.heldOutAccuracy } : {}), topShare,
      adapter: trained.adapter, ...(trained.variantId ? { variantId: trained.variantId } : {}), ...(prev?.variantId ? { previousVariantId: prev.variantId } : {}),
      seconds: (Date.now() - started) / 1000,
    };
    const iterations: DnoIterationRecord[] = [...history.iterations, record];
    history = { ...history, iterations, best: bestOf(iterations) };
    await writeJsonAtomic(historyFile, history);
    o.log?.(`iteration ${t}: metric ${m.metric.toFixed(3)} (base ${history.baseline.metric.toFixed(3)}), best so far: iteration ${history.best}`);
  }
  report(s.iterations, 'done', 1);
  return history;
}

/** The history of a run folder, if it has one. */
export async function readDnoHistory(runDir: string): Promise<DnoHistory | undefined> {
  return existsSync(path.join(runDir, HISTORY_FILE)) ? readJson<DnoHistory>(path.join(runDir, HISTORY_FILE)) : undefined;
}
