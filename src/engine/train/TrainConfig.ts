import { ModelLabError } from '../errors.js';
import type { RandomModelConfig } from '../model/createRandomModel.js';

/** Everything that decides the result of a from-scratch training run (saved as runs/<id>/config.json). */
export interface TrainConfig {
  /** Model shape and init seed (llama architecture). */
  model: RandomModelConfig;
  /** Tokens per training window, BOS included (at most the model's context length). */
  seqLen: number;
  /** Windows per optimizer step. */
  batchSize: number;
  /** Windows per forward/backward pass (memory bound); batchSize must be a multiple. Default batchSize. */
  microBatch?: number;
  steps: number;
  lr: number;
  minLr: number;
  warmupSteps: number;
  weightDecay: number;
  beta1: number;
  beta2: number;
  /** Global gradient-norm clip. */
  gradClip: number;
  /** Seed of the data order. */
  seed: number;
  /** Save a checkpoint every this many steps (and at the end). */
  checkpointEvery: number;
  /** Measure held-out loss every this many steps (and at the end); 0 = only at the end. */
  evalEvery: number;
  /** Held-out windows per evaluation. */
  evalWindows: number;
  /** Write a metrics line every this many steps (default 1). */
  logEvery?: number;
}

export class TrainConfigError extends ModelLabError {
  override name = 'TrainConfigError';
  constructor(message: string) {
    super('TRAIN_CONFIG', message);
  }
}

export function validateTrainConfig(c: TrainConfig): void {
  const positive: Array<keyof TrainConfig> = ['seqLen', 'batchSize', 'steps', 'checkpointEvery', 'evalWindows'];
  for (const k of positive) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new TrainConfigError(`Training setting '${k}' must be a positive integer (got ${String(v)}).`);
  }
  const micro = c.microBatch ?? c.batchSize;
  if (c.batchSize % micro !== 0) throw new TrainConfigError(`batchSize ${c.batchSize} must be a multiple of microBatch ${micro}.`);
  const ctx = c.model.contextLength ?? 512;
  if (c.seqLen < 2 || c.seqLen > ctx) throw new TrainConfigError(`seqLen ${c.seqLen} must be between 2 and the context length ${ctx}.`);
  if (!(c.lr > 0) || c.minLr < 0 || c.minLr > c.lr) throw new TrainConfigError('Learning rates must satisfy 0 ≤ minLr ≤ lr and lr > 0.');
  if (c.warmupSteps < 0 || c.warmupSteps > c.steps) throw new TrainConfigError('warmupSteps must be between 0 and steps.');
  if (!(c.gradClip > 0)) throw new TrainConfigError('gradClip must be positive.');
}
