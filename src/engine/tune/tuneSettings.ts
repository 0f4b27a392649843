import type { LoraTarget } from '../model/LoraAdapter.js';
import { shuffledOrder } from '../train/shuffledOrder.js';
import { TuneError } from './TuneError.js';
import { DEFAULT_TUNE, type TuneConfig, type TuneMethod } from './trainPreferences.js';

/** What a user chooses for a preference run (CLI flags, job params, the Tune panel); the rest comes from DEFAULT_TUNE. */
export interface TuneOptions {
  method?: TuneMethod;
  /** Weight of the chosen answers' NLL added to DPO/IPO (TRL's rpo_alpha); 0 = none. */
  sftWeight?: number;
  rank?: number;
  /** Default 2·rank. */
  alpha?: number;
  targets?: LoraTarget[];
  /** LoRA dropout (PEFT's lora_dropout) in [0, 1); default 0. */
  dropout?: number;
  /** Passes over the training pairs (default DEFAULT_EPOCHS), unless `steps` is given. */
  epochs?: number;
  steps?: number;
  lr?: number;
  beta?: number;
  seed?: number;
}

export const DEFAULT_EPOCHS = 2;

/** The held-out split, fixed by the seed: `count` pairs (default a tenth when there are 20 or more, else none). */
export function splitHeldOut<T>(items: T[], count: number | undefined, seed: number): { train: T[]; heldOut: T[] } {
  const n = count ?? (items.length >= 20 ? Math.round(items.length / 10) : 0);
  if (n >= items.length) throw new TuneError('TUNE_NO_PAIRS', `A held-out split of ${n} leaves no training pairs (there are ${items.length}).`);
  const order = shuffledOrder(items.length, seed, 0);
  return { heldOut: Array.from(order.subarray(0, n), (i) => items[i]!), train: Array.from(order.subarray(n), (i) => items[i]!) };
}

/** The run's full settings for `trainPairs` training pairs. */
export function tuneConfigFor(o: TuneOptions, trainPairs: number): TuneConfig {
  const method = o.method ?? DEFAULT_TUNE.method;
  const rank = o.rank ?? DEFAULT_TUNE.lora.r;
  const batchSize = Math.max(1, Math.min(DEFAULT_TUNE.batchSize, trainPairs));
  const microBatch = batchSize % (DEFAULT_TUNE.microBatch ?? batchSize) === 0 ? DEFAULT_TUNE.microBatch : batchSize;
  const steps = o.steps ?? Math.max(1, Math.ceil(((o.epochs ?? DEFAULT_EPOCHS) * trainPairs) / batchSize));
  const lr = o.lr ?? DEFAULT_TUNE.lr;
  return {
    ...DEFAULT_TUNE,
    method,
    // the chosen answers' NLL keeps them likely instead of only pushing the rejected ones down
    ...(o.sftWeight && method !== 'sft' ? { mix: { [method]: 1, sft: o.sftWeight } } : {}),
    beta: o.beta ?? DEFAULT_TUNE.beta,
    lora: { r: rank, alpha: o.alpha ?? 2 * rank, targets: o.targets ?? DEFAULT_TUNE.lora.targets, ...(o.dropout ? { dropout: o.dropout } : {}) },
    lr, minLr: Math.min(DEFAULT_TUNE.minLr, lr / 10),
    batchSize, microBatch, steps,
    warmupSteps: Math.min(DEFAULT_TUNE.warmupSteps, Math.floor(steps / 4)),
    seed: o.seed ?? DEFAULT_TUNE.seed,
  };
}
