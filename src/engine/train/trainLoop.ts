import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AbortedError, ModelLabError } from '../errors.js';
import type { Param } from '../model/EngineModel.js';
import { AdamW, clipGradNorm, warmupCosine } from '../optim/index.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { TrainConfigError } from './TrainConfig.js';

/** The optimizer, schedule and bookkeeping settings every training run shares, whatever it optimizes. */
export interface LoopConfig {
  /** Optimizer steps. */
  steps: number;
  /** Examples per optimizer step (windows, preference pairs, …). */
  batchSize: number;
  /** Examples per forward/backward pass (memory bound); batchSize must be a multiple. Default batchSize. */
  microBatch?: number;
  lr: number;
  minLr: number;
  warmupSteps: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  /** Global gradient-norm clip. */
  gradClip: number;
  /** Save a checkpoint every this many steps (and at the end). */
  checkpointEvery: number;
  /** Run the objective's held-out evaluation every this many steps (and at the end); 0 = only at the end. */
  evalEvery: number;
  /** Write a metrics line every this many steps (default 1). */
  logEvery?: number;
}

/** What one forward/backward over some examples gives back. */
export interface MicroStepResult {
  /** This pass's share of the step loss (the step loss is the sum over its passes). */
  loss: number;
  /** Tokens processed (throughput). */
  tokens: number;
  /** Extra per-step numbers, each already scaled so that summing over the step's passes gives the step value. */
  stats?: Record<string, number>;
}

/**
 * What a run optimizes. The loop owns order, optimizer, schedule, clipping, checkpoints and metrics; an objective
 * owns its data and its loss. Examples are addressed by position in the run's stream (`cursor`, examples consumed
 * so far), so a checkpoint that stores the cursor resumes the very same sequence of batches.
 */
export interface TrainObjective {
  /** Trainable arrays, in a fixed order (checkpoints store them in this order). */
  readonly params: Param[];
  /**
   * Forward + backward over examples [cursor, cursor + count) of the stream, accumulating gradients into
   * params[i].grad scaled by 1/batchSize, so the step's gradient is the mean over its batch.
   */
  microStep(cursor: number, count: number, batchSize: number, signal?: AbortSignal): MicroStepResult;
  /** Held-out numbers (no gradients), e.g. { heldOutLoss }. */
  evaluate?(signal?: AbortSignal): Record<string, number>;
}

/** Names of the loop's own metrics in metrics.jsonl (preference runs use TRL's: learning_rate, grad_norm, …). */
export interface MetricNames { lr: string; gradNorm: string; tokensPerSec: string; elapsedSec: string }
const ENGINE_NAMES: MetricNames = { lr: 'lr', gradNorm: 'gradNorm', tokensPerSec: 'tokensPerSec', elapsedSec: 'elapsedSec' };

export interface LoopProgress {
  step: number;
  steps: number;
  loss: number;
  lr: number;
  tokensPerSec: number;
  elapsedSec: number;
  etaSec: number;
  /** The metrics line written for this step (objective stats and held-out numbers included). */
  metrics: Record<string, number>;
  heldOutLoss?: number;
}

export interface LoopOptions {
  /** Hash of everything that decides the result (settings + data): a checkpoint only resumes the run that wrote it. */
  runHash: string;
  /** Continue from runDir/checkpoint.bin when it exists (default true). */
  resume?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: LoopProgress) => void;
  metricNames?: Partial<MetricNames>;
  /**
   * Written as runDir/config.json once the loop has accepted the run folder (after the resume check), so a run
   * refused for another run's checkpoint leaves that run's config.json as it was.
   */
  runConfig?: Record<string, unknown>;
}

export interface LoopResult {
  steps: number;
  /** Mean step loss over the last logged steps (up to 20). */
  finalLoss: number;
  /** Steps this call ran (fewer than `steps` after a resume). */
  stepsRun: number;
  resumedFrom: number;
  wallSec: number;
  /** Every metrics.jsonl line of the run, resumed part included. */
  metrics: Array<Record<string, number>>;
  /** The last held-out evaluation. */
  evaluation?: Record<string, number>;
}

const CHECKPOINT = 'checkpoint.bin';

export function validateLoopConfig(c: LoopConfig): void {
  for (const k of ['steps', 'batchSize', 'checkpointEvery'] as const) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new TrainConfigError(`Training setting '${k}' must be a positive integer (got ${String(v)}).`);
  }
  const micro = c.microBatch ?? c.batchSize;
  if (!Number.isInteger(micro) || micro < 1 || c.batchSize % micro !== 0) throw new TrainConfigError(`batchSize ${c.batchSize} must be a multiple of microBatch ${micro}.`);
  if (!(c.lr > 0) || c.minLr < 0 || c.minLr > c.lr) throw new TrainConfigError('Learning rates must satisfy 0 ≤ minLr ≤ lr and lr > 0.');
  if (c.warmupSteps < 0 || c.warmupSteps > c.steps) throw new TrainConfigError('warmupSteps must be between 0 and steps.');
  if (!(c.gradClip > 0)) throw new TrainConfigError('gradClip must be positive.');
}

/**
 * The one training loop: per step, the objective's passes over `batchSize` examples (gradient accumulation over
 * micro-batches), global gradient clipping, AdamW with linear warmup and cosine decay. Appends runDir/metrics.jsonl,
 * saves runDir/checkpoint.bin every `checkpointEvery` steps (trainable arrays, AdamW moments, step, data cursor)
 * and resumes from it with the same result as a run that was never interrupted. On abort a checkpoint of the last
 * finished step is saved before AbortedError is thrown. Deterministic for a fixed objective, backend and threads.
 */
export async function runTrainingLoop(runDir: string, config: LoopConfig, objective: TrainObjective, opts: LoopOptions): Promise<LoopResult> {
  validateLoopConfig(config);
  mkdirSync(runDir, { recursive: true });
  const names = { ...ENGINE_NAMES, ...opts.metricNames };
  const params = objective.params;
  const optim = new AdamW(params, { lr: config.lr, beta1: config.beta1, beta2: config.beta2, weightDecay: config.weightDecay });
  const schedule = warmupCosine({ lr: config.lr, minLr: config.minLr, warmupSteps: config.warmupSteps, totalSteps: config.steps });

  let step = 0;
  let cursor = 0;
  const ckPath = path.join(runDir, CHECKPOINT);
  const metricsPath = path.join(runDir, 'metrics.jsonl');
  const metrics: Array<Record<string, number>> = [];
  if (opts.resume !== false) {
    const ck = loadCheckpoint(ckPath);
    if (ck) {
      if (ck.meta.runHash !== opts.runHash) {
        throw new ModelLabError('TRAIN_RESUME_MISMATCH', `The checkpoint in ${runDir} belongs to a different configuration or data; use a new run folder.`);
      }
      if (ck.data.length !== params.length || ck.data.some((d, i) => d.length !== params[i]!.data.length)) {
        throw new ModelLabError('TRAIN_RESUME_MISMATCH', 'The checkpoint has a different parameter list.');
      }
      params.forEach((p, i) => p.data.set(ck.data[i]!));
      optim.loadState({ t: ck.meta.optimizerT, m: ck.m, v: ck.v });
      step = ck.meta.step;
      cursor = ck.meta.cursor;
    }
  }
  if (opts.runConfig) writeFileSync(path.join(runDir, 'config.json'), JSON.stringify(opts.runConfig, null, 2) + '\n');
  // metrics.jsonl keeps exactly the steps the weights have seen: lines written after the checkpoint are dropped.
  if (existsSync(metricsPath)) {
    const kept = readFileSync(metricsPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number>).filter((m) => m.step! <= step);
    metrics.push(...kept);
    writeFileSync(metricsPath, kept.map((m) => JSON.stringify(m) + '\n').join(''));
  }
  const resumedFrom = step;

  const save = (): void =>
    saveCheckpoint(ckPath, {
      meta: { step, cursor, optimizerT: optim.state().t, runHash: opts.runHash, params: params.map((p) => ({ name: p.name, length: p.data.length })) },
      data: params.map((p) => p.data),
      m: optim.state().m,
      v: optim.state().v,
    });

  const micro = config.microBatch ?? config.batchSize;
  const started = Date.now();
  const elapsedBefore = metrics.at(-1)?.[names.elapsedSec] ?? 0;
  let evaluation: Record<string, number> | undefined;
  const logEvery = config.logEvery ?? 1;
  let windowStart = Date.now();
  let windowTokens = 0;

  while (step < config.steps) {
    if (opts.signal?.aborted) {
      save();
      throw new AbortedError('Training cancelled; it resumes from the last step.');
    }
    const lr = schedule(step);
    optim.zeroGrad();
    let loss = 0;
    const stats: Record<string, number> = {};
    for (let b = 0; b < config.batchSize; b += micro) {
      const r = objective.microStep(cursor + b, micro, config.batchSize, opts.signal);
      loss += r.loss;
      windowTokens += r.tokens;
      for (const [k, v] of Object.entries(r.stats ?? {})) stats[k] = (stats[k] ?? 0) + v;
    }
    cursor += config.batchSize;
    const gradNorm = clipGradNorm(params, config.gradClip);
    optim.step(lr);
    step++;

    const evalNow = !!objective.evaluate && ((config.evalEvery > 0 && step % config.evalEvery === 0) || step === config.steps);
    if (evalNow) evaluation = objective.evaluate!(opts.signal);
    if (step % logEvery === 0 || step === config.steps || evalNow) {
      const now = Date.now();
      const tokensPerSec = windowTokens / Math.max(1e-3, (now - windowStart) / 1000);
      const elapsedSec = elapsedBefore + (now - started) / 1000;
      const m: Record<string, number> = {
        step, loss, [names.lr]: lr, [names.gradNorm]: gradNorm, ...stats,
        [names.tokensPerSec]: tokensPerSec, [names.elapsedSec]: elapsedSec,
        ...(evalNow ? evaluation : {}),
      };
      windowStart = now;
      windowTokens = 0;
      metrics.push(m);
      appendFileSync(metricsPath, JSON.stringify(m) + '\n');
      const perStep = (now - started) / 1000 / (step - resumedFrom);
      opts.onProgress?.({ step, steps: config.steps, loss, lr, tokensPerSec, elapsedSec, etaSec: perStep * (config.steps - step),
        metrics: m, ...(evalNow && evaluation?.heldOutLoss !== undefined ? { heldOutLoss: evaluation.heldOutLoss } : {}) });
    }
    if (step % config.checkpointEvery === 0 || step === config.steps) save();
    // Let other work (progress messages, cancellation) in between steps.
    await new Promise((r) => setImmediate(r));
  }

  const tail = metrics.slice(-20);
  return {
    steps: step,
    finalLoss: tail.reduce((s, m) => s + m.loss!, 0) / Math.max(1, tail.length),
    stepsRun: step - resumedFrom,
    resumedFrom,
    wallSec: (Date.now() - started) / 1000,
    metrics,
    evaluation,
  };
}
