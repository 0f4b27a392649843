import { DEMO_PHI3_TRAIN_CONFIG } from '../../engine/train/demo/demoRecipe.js';
import type { TrainJobParams } from '../../jobs/kinds/train.js';

/** Steps of the quick run: a few minutes on a 2-core machine, enough to watch the loss fall and to try cancel. */
export const QUICK_TRAIN_STEPS = 30;

/**
 * "Train Demo-Sized Model (quick)": the built-in demo model's shape and recipe, trained from scratch for a few
 * steps on the text files of a folder, tokenized with the demo model's own tokenizer (so the result loads in llama.cpp
 * and the playground like the demo does).
 */
export function quickTrainParams(folder: string, tokenizerModel: string): TrainJobParams {
  return {
    config: { ...DEMO_PHI3_TRAIN_CONFIG, steps: QUICK_TRAIN_STEPS, warmupSteps: 5, checkpointEvery: 5, evalEvery: 10, evalWindows: 4 },
    data: { source: 'text', folder, tokenizerModel, maxBytes: 4 << 20 },
    backend: 'wasm',
    threads: 2,
  };
}
