import type { LoraTarget } from '../model/LoraAdapter.js';
import type { TextTokenizer } from '../tokenizer/index.js';
import { shuffledOrder } from '../train/shuffledOrder.js';
import { encodePairs, type EncodeResult } from './encodePairs.js';
import type { PairTexts } from './pairTexts.js';
import { ALL_LORA_TARGETS, DEFAULT_TUNE, type TuneConfig, type TuneMethod } from './trainPreferences.js';
import { TuneError } from './TuneError.js';

/** What a person chooses for a preference run; everything else comes from DEFAULT_TUNE. */
export interface TuneChoices {
  method: TuneMethod;
  /** Passes over the training pairs (default 2), unless `steps` is given. */
  epochs?: number;
  steps?: number;
  /** Upper bound on the steps `epochs` gives (a preset that must stay quick on any data set). */
  maxSteps?: number;
  rank?: number;
  /** Default 2 × rank. */
  alpha?: number;
  targets?: LoraTarget[];
  lr?: number;
  beta?: number;
  /** Weight of the chosen answers' NLL added to DPO/IPO (TRL's rpo_alpha); 0 = none. */
  sftWeight?: number;
  seed?: number;
  /** Pairs kept out of training to measure on; default defaultHeldOutCount(pairs). */
  heldOut?: number;
  /** Longest pair in tokens (default min(context, 512)). */
  maxLength?: number;
}

export interface TuneRunPlan {
  config: TuneConfig;
  train: EncodeResult;
  heldOut: EncodeResult;
  trainTexts: PairTexts[];
  heldOutTexts: PairTexts[];
}

/** Default passes over the training pairs. */
export const DEFAULT_TUNE_EPOCHS = 2;

/** One pair in ten is held out once there are 20 (fewer pairs all train: one held-out pair measures nothing). */
export function defaultHeldOutCount(pairs: number): number {
  return pairs >= 20 ? Math.round(pairs / 10) : 0;
}

/**
 * Splits pairs into training and held-out sets (a shuffle fixed by the seed), tokenizes them and fills in the
 * training configuration: the one recipe `model-lab train` and the tune job share, so the same choices on the same
 * pairs give the same run.
 */
export function planTuneRun(texts: PairTexts[], tok: TextTokenizer, contextLength: number, c: TuneChoices): TuneRunPlan {
  if (texts.length === 0) throw new TuneError('TUNE_NO_PAIRS', 'There are no pairs to train on.');
  const seed = c.seed ?? DEFAULT_TUNE.seed;
  const heldOutCount = c.heldOut ?? defaultHeldOutCount(texts.length);
  if (heldOutCount >= texts.length) throw new TuneError('TUNE_CONFIG', `Holding out ${heldOutCount} pairs leaves none to train on (there are ${texts.length}).`);
  const order = shuffledOrder(texts.length, seed, 0);
  const heldOutTexts = Array.from(order.subarray(0, heldOutCount), (i) => texts[i]!);
  const trainTexts = Array.from(order.subarray(heldOutCount), (i) => texts[i]!);
  const maxLength = c.maxLength ?? Math.min(contextLength, 512);
  const train = encodePairs(trainTexts, tok, maxLength);
  const heldOut = encodePairs(heldOutTexts, tok, maxLength);
  if (train.pairs.length === 0) throw new TuneError('TUNE_NO_PAIRS', 'No training pairs are left (all were empty or too long).');

  const rank = c.rank ?? DEFAULT_TUNE.lora.r;
  const batchSize = Math.min(DEFAULT_TUNE.batchSize, train.pairs.length);
  const microBatch = batchSize % (DEFAULT_TUNE.microBatch ?? batchSize) === 0 ? DEFAULT_TUNE.microBatch : batchSize;
  const fromEpochs = Math.max(1, Math.ceil(((c.epochs ?? DEFAULT_TUNE_EPOCHS) * train.pairs.length) / batchSize));
  const steps = c.steps ?? Math.min(fromEpochs, c.maxSteps ?? Infinity);
  const lr = c.lr ?? DEFAULT_TUNE.lr;
  const sftWeight = c.sftWeight ?? 0;
  const config: TuneConfig = {
    ...DEFAULT_TUNE,
    method: c.method,
    // the chosen answers' NLL beside DPO/IPO keeps the preferred answers likely instead of only pushing the rejected down
    ...(sftWeight && c.method !== 'sft' ? { mix: { [c.method]: 1, sft: sftWeight } } : {}),
    beta: c.beta ?? DEFAULT_TUNE.beta,
    lora: { r: rank, alpha: c.alpha ?? 2 * rank, targets: c.targets ?? ALL_LORA_TARGETS },
    lr, minLr: Math.min(DEFAULT_TUNE.minLr, lr / 10),
    batchSize, microBatch, steps,
    warmupSteps: Math.min(DEFAULT_TUNE.warmupSteps, Math.floor(steps / 4)),
    seed,
  };
  return { config, train, heldOut, trainTexts, heldOutTexts };
}
