import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createReferenceBackend, type KernelBackend } from '../kernels/index.js';
import { createRandomModel } from '../model/createRandomModel.js';
import type { EngineModel, Param } from '../model/EngineModel.js';
import { batchLogprobs, lossAndGrad, makeBatch } from '../model/modelForward.js';
import { TokenWindows } from './TokenWindows.js';
import { validateTrainConfig, type TrainConfig } from './TrainConfig.js';
import { runTrainingLoop, type TrainObjective } from './trainLoop.js';

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

/**
 * Trains a llama model from scratch: batches of shuffled token windows, masked next-token NLL, through the one
 * training loop (runTrainingLoop: AdamW, warmup + cosine, clipping, accumulation, checkpoints, exact resume).
 * Writes runDir/config.json and metrics.jsonl; a resumed run gives the same weights as an uninterrupted one.
 */
export async function trainModel(runDir: string, config: TrainConfig, data: TrainData, opts: TrainOptions = {}): Promise<TrainResult> {
  validateTrainConfig(config);
  mkdirSync(runDir, { recursive: true });
  const dataHash = createHash('sha256').update(new Uint8Array(data.train.buffer, data.train.byteOffset, data.train.byteLength)).digest('hex');
  const runHash = createHash('sha256').update(JSON.stringify({ config, dataHash })).digest('hex');

  const backend = opts.backend ?? createReferenceBackend();
  const model = createRandomModel(config.model, backend);
  const objective = pretrainingObjective(model, model.enableFullTraining(), config, data);
  const onProgress = opts.onProgress;
  const runConfig = { ...config, trainTokens: data.train.length, heldOutTokens: data.heldOut?.length ?? 0, dataHash, runHash };
  const r = await runTrainingLoop(runDir, config, objective, { runHash, runConfig, resume: opts.resume, signal: opts.signal,
    onProgress: onProgress && (({ metrics: _line, ...p }) => onProgress(p)) });
  const metrics = r.metrics as unknown as TrainMetric[];
  return {
    model,
    steps: r.steps,
    finalLoss: r.finalLoss,
    heldOutLoss: r.evaluation?.heldOutLoss ?? metrics.findLast((m) => m.heldOutLoss !== undefined)?.heldOutLoss,
    stepsRun: r.stepsRun,
    resumedFrom: r.resumedFrom,
    wallSec: r.wallSec,
    metrics,
  };
}

/**
 * Next-token NLL over shuffled windows: every predicted token of a whole step weighs the same (mean NLL over
 * batchSize·(seqLen − 1) tokens); held-out loss over the first `evalWindows` held-out windows.
 */
export function pretrainingObjective(model: EngineModel, params: Param[], config: TrainConfig, data: TrainData): TrainObjective {
  const windows = new TokenWindows(data.train, config.seqLen, data.bosId, config.seed);
  const evalSet = data.heldOut ? new TokenWindows(data.heldOut, config.seqLen, data.bosId, 0).firstWindows(config.evalWindows) : [];
  const micro = config.microBatch ?? config.batchSize;
  return {
    params,
    microStep(cursor, count, batchSize, signal) {
      const tokensPerStep = batchSize * (config.seqLen - 1);
      const seqs: Int32Array[] = [];
      for (let i = 0; i < count; i++) seqs.push(windows.window(cursor + i));
      const batch = makeBatch(seqs);
      const weights = new Float32Array(batch.tokens.length);
      for (let t = 0; t < weights.length; t++) if (batch.targets[t]! >= 0) weights[t] = 1 / tokensPerStep;
      const { loss } = lossAndGrad(model, batch, { weights }, { signal });
      return { loss, tokens: count * (config.seqLen - 1) };
    },
    ...(evalSet.length > 0 ? { evaluate: () => ({ heldOutLoss: meanNll(model, evalSet, micro) }) } : {}),
  };
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
