import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AbortedError, ModelLabError } from '../errors.js';
import { createReferenceBackend, type KernelBackend } from '../kernels/index.js';
import { createRandomModel } from '../model/createRandomModel.js';
import type { EngineModel, Param } from '../model/EngineModel.js';
import { batchLogprobs, lossAndGrad, makeBatch } from '../model/modelForward.js';
import { AdamW, clipGradNorm, warmupCosine } from '../optim/index.js';
import { loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { TokenWindows } from './TokenWindows.js';
import { validateTrainConfig, type TrainConfig } from './TrainConfig.js';

/** Token streams to train on (and to measure held-out loss on); files joined with EOS, no BOS inside. */
export interface TrainData {
  train: Int32Array;
  heldOut?: Int32Array;
  bosId: number;
}

export interface TrainProgress {
  step: number;
  steps: number;
  loss: number;
  lr: number;
  tokensPerSec: number;
  elapsedSec: number;
  etaSec: number;
  heldOutLoss?: number;
}

/** One line of runs/<id>/metrics.jsonl. */
export interface TrainMetric {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  tokensPerSec: number;
  elapsedSec: number;
  heldOutLoss?: number;
}

export interface TrainOptions {
  /** Kernel backend (default: the reference backend). Results are reproducible for a fixed backend and threads. */
  backend?: KernelBackend;
  /** Continue from runDir/checkpoint.bin when it exists (default true). */
  resume?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
}

export interface TrainResult {
  model: EngineModel;
  steps: number;
  /** Mean train loss over the last logged steps (up to 20). */
  finalLoss: number;
  heldOutLoss?: number;
  /** Steps this call ran (fewer than `steps` after a resume). */
  stepsRun: number;
  resumedFrom: number;
  wallSec: number;
  metrics: TrainMetric[];
}

const CHECKPOINT = 'checkpoint.bin';

/**
 * Trains a llama model from scratch: batches of shuffled token windows, masked next-token NLL, global gradient
 * clipping, AdamW with linear warmup and cosine decay. Writes runDir/config.json, appends runDir/metrics.jsonl,
 * saves runDir/checkpoint.bin every `checkpointEvery` steps (weights, AdamW moments, step, data cursor) and resumes
 * from it, giving the same weights as a run that was never interrupted. On abort a checkpoint of the last finished
 * step is saved before AbortedError is thrown.
 */
export async function trainModel(runDir: string, config: TrainConfig, data: TrainData, opts: TrainOptions = {}): Promise<TrainResult> {
  validateTrainConfig(config);
  mkdirSync(runDir, { recursive: true });
  const dataHash = createHash('sha256').update(new Uint8Array(data.train.buffer, data.train.byteOffset, data.train.byteLength)).digest('hex');
  const runHash = createHash('sha256').update(JSON.stringify({ config, dataHash })).digest('hex');
  writeFileSync(path.join(runDir, 'config.json'), JSON.stringify({ ...config, trainTokens: data.train.length, heldOutTokens: data.heldOut?.length ?? 0, dataHash, runHash }, null, 2) + '\n');

  const backend = opts.backend ?? createReferenceBackend();
  const model = createRandomModel(config.model, backend);
  const params = model.enableFullTraining();
  const optim = new AdamW(params, { lr: config.lr, beta1: config.beta1, beta2: config.beta2, weightDecay: config.weightDecay });
  const schedule = warmupCosine({ lr: config.lr, minLr: config.minLr, warmupSteps: config.warmupSteps, totalSteps: config.steps });
  const windows = new TokenWindows(data.train, config.seqLen, data.bosId, config.seed);
  const evalSet = data.heldOut ? new TokenWindows(data.heldOut, config.seqLen, data.bosId, 0).firstWindows(config.evalWindows) : [];

  let step = 0;
  let cursor = 0;
  const ckPath = path.join(runDir, CHECKPOINT);
  const metricsPath = path.join(runDir, 'metrics.jsonl');
  const metrics: TrainMetric[] = [];
  if (opts.resume !== false) {
    const ck = loadCheckpoint(ckPath);
    if (ck) {
      if (ck.meta.runHash !== runHash) {
        throw new ModelLabError('TRAIN_RESUME_MISMATCH', `The checkpoint in ${runDir} belongs to a different configuration or data; use a new run folder.`);
      }
      restore(params, ck.data);
      optim.loadState({ t: ck.meta.optimizerT, m: ck.m, v: ck.v });
      step = ck.meta.step;
      cursor = ck.meta.cursor;
    }
  }
  // metrics.jsonl keeps exactly the steps the weights have seen: lines written after the checkpoint are dropped.
  if (existsSync(metricsPath)) {
    const kept = readFileSync(metricsPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as TrainMetric).filter((m) => m.step <= step);
    metrics.push(...kept);
    writeFileSync(metricsPath, kept.map((m) => JSON.stringify(m) + '\n').join(''));
  }
  const resumedFrom = step;

  const save = (): void =>
    saveCheckpoint(ckPath, {
      meta: { step, cursor, optimizerT: optim.state().t, runHash, params: params.map((p) => ({ name: p.name, length: p.data.length })) },
      data: params.map((p) => p.data),
      m: optim.state().m,
      v: optim.state().v,
    });

  const micro = config.microBatch ?? config.batchSize;
  const tokensPerStep = config.batchSize * (config.seqLen - 1);
  const started = Date.now();
  const elapsedBefore = metrics.at(-1)?.elapsedSec ?? 0;
  let heldOutLoss: number | undefined;
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
    for (let b = 0; b < config.batchSize; b += micro) {
      const seqs: Int32Array[] = [];
      for (let i = 0; i < micro; i++) seqs.push(windows.window(cursor + b + i));
      const batch = makeBatch(seqs);
      // Every predicted token of the whole step weighs the same: mean NLL over batchSize·(seqLen − 1) tokens.
      const weights = new Float32Array(batch.tokens.length);
      for (let t = 0; t < weights.length; t++) if (batch.targets[t]! >= 0) weights[t] = 1 / tokensPerStep;
      loss += lossAndGrad(model, batch, { weights }, { signal: opts.signal }).loss;
    }
    cursor += config.batchSize;
    const gradNorm = clipGradNorm(params, config.gradClip);
    optim.step(lr);
    step++;
    windowTokens += tokensPerStep;

    const evalNow = evalSet.length > 0 && ((config.evalEvery > 0 && step % config.evalEvery === 0) || step === config.steps);
    if (evalNow) heldOutLoss = meanNll(model, evalSet, micro);
    if (step % logEvery === 0 || step === config.steps || evalNow) {
      const now = Date.now();
      const m: TrainMetric = {
        step, loss, lr, gradNorm,
        tokensPerSec: windowTokens / Math.max(1e-3, (now - windowStart) / 1000),
        elapsedSec: elapsedBefore + (now - started) / 1000,
        ...(evalNow ? { heldOutLoss } : {}),
      };
      windowStart = now;
      windowTokens = 0;
      metrics.push(m);
      appendFileSync(metricsPath, JSON.stringify(m) + '\n');
      const perStep = (now - started) / 1000 / (step - resumedFrom);
      opts.onProgress?.({ step, steps: config.steps, loss, lr, tokensPerSec: m.tokensPerSec, elapsedSec: m.elapsedSec,
        etaSec: perStep * (config.steps - step), ...(evalNow ? { heldOutLoss } : {}) });
    }
    if (step % config.checkpointEvery === 0 || step === config.steps) save();
    // Let other work (progress messages, cancellation) in between steps.
    await new Promise((r) => setImmediate(r));
  }

  const tail = metrics.slice(-20);
  return {
    model,
    steps: step,
    finalLoss: tail.reduce((s, m) => s + m.loss, 0) / Math.max(1, tail.length),
    heldOutLoss: heldOutLoss ?? metrics.findLast((m) => m.heldOutLoss !== undefined)?.heldOutLoss,
    stepsRun: step - resumedFrom,
    resumedFrom,
    wallSec: (Date.now() - started) / 1000,
    metrics,
  };
}

function restore(params: Param[], data: Float32Array[]): void {
  if (data.length !== params.length) throw new ModelLabError('TRAIN_RESUME_MISMATCH', 'The checkpoint has a different parameter list.');
  params.forEach((p, i) => p.data.set(data[i]!));
}

/** Mean next-token NLL (nats) over windows, without gradients. */
export function meanNll(model: EngineModel, windows: Int32Array[], micro: number): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < windows.length; i += micro) {
    const batch = makeBatch(windows.slice(i, i + micro));
    const logp = batchLogprobs(model, batch);
    for (let t = 0; t < logp.length; t++) {
      if (batch.targets[t]! >= 0) {
        sum -= logp[t]!;
        n++;
      }
    }
  }
  return sum / n;
}
