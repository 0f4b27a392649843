import type { LoraTarget } from '../model/LoraAdapter.js';
import { shuffledOrder } from '../train/shuffledOrder.js';
import { TuneError } from './TuneError.js';
import { DEFAULT_TUNE, type TuneConfig, type TuneMethod } from './trainPreferences.js';

/** What a user chooses for a preference run (CLI flags, job params, the Tune panel); the rest comes from DEFAULT_TUNE. */
export interface TuneOptions {
  method?: TuneMethod;
  /** Weight of the chosen answers' NLL added to DPO/IPO (TRL's rpo_alpha); default DEFAULT_SFT_WEIGHT, 0 = none. */
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
  /** DPO's β (default DEFAULT_TUNE.beta) or IPO's τ (default DEFAULT_IPO_BETA). */
  beta?: number;
  seed?: number;
}

// The defaults below were measured on the demo model with the acceptance test's 200 synthetic pairs (180 trained, 20
// held out; the chosen answers carry a marker the base almost never writes), docs/experiments/tune-defaults.md: plain
// DPO reaches held-out accuracy 1 by pushing the rejected answers down while held-out perplexity rises 589-fold and the
// marker is never written; with the chosen answers' NLL added the model writes it and perplexity stays within ×2.4.

/** Passes over the training pairs when neither epochs nor steps is given. */
export const DEFAULT_EPOCHS = 4;
/** The chosen answers' NLL added to DPO and IPO (TRL's rpo_alpha): perplexity ×3.4 at 1, ×2.4 at 2, ×2.2 at 4. */
export const DEFAULT_SFT_WEIGHT = 2;
/**
 * IPO's β is another quantity than DPO's: the τ of the IPO paper (as TRL reads it), whose loss pulls the per-token
 * mean log-ratio margin to 1/(2τ). At 0.01 (a 50-nat target) it wrecked the demo model (perplexity ×3·10⁷); at 0.5
 * (1 nat) held-out accuracy stayed 0; at TRL's 0.1 it reached 1, at a perplexity cost of ×10–20.
 */
export const DEFAULT_IPO_BETA = 0.1;

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
  const sftWeight = o.sftWeight ?? DEFAULT_SFT_WEIGHT;
  return {
    ...DEFAULT_TUNE,
    method,
    // the chosen answers' NLL keeps them likely instead of only pushing the rejected ones down
    ...(sftWeight && method !== 'sft' ? { mix: { [method]: 1, sft: sftWeight } } : {}),
    beta: o.beta ?? (method === 'ipo' ? DEFAULT_IPO_BETA : DEFAULT_TUNE.beta),
    lora: { r: rank, alpha: o.alpha ?? 2 * rank, targets: o.targets ?? DEFAULT_TUNE.lora.targets, ...(o.dropout ? { dropout: o.dropout } : {}) },
    lr, minLr: Math.min(DEFAULT_TUNE.minLr, lr / 10),
    batchSize, microBatch, steps,
    warmupSteps: Math.min(DEFAULT_TUNE.warmupSteps, Math.floor(steps / 4)),
    seed: o.seed ?? DEFAULT_TUNE.seed,
  };
}
