import type { TrainConfig } from '../TrainConfig.js';

/** Vocabulary size of the demo tokenizer (3 special + 256 bytes + characters + BPE merges). */
export const DEMO_VOCAB_SIZE = 2048;

/**
 * The demo model and its training run, sized for about half an hour of `npm run train:demo` on a 2-core machine
 * shared with other work (the WASM kernels gave 150–900 tokens/s for this shape depending on the load): 240 steps
 * of 8 × 255 tokens ≈ 490K tokens, about 0.6 of the training split.
 */
export const DEMO_TRAIN_CONFIG: TrainConfig = {
  model: {
    architecture: 'llama',
    nVocab: DEMO_VOCAB_SIZE,
    nEmbd: 192,
    nLayer: 4,
    nHead: 4,
    nFf: 512,
    contextLength: 256,
    ropeBase: 10000,
    normEps: 1e-5,
    tiedOutput: false,
    initStd: 0.02,
    seed: 20261126,
  },
  seqLen: 256,
  batchSize: 8,
  microBatch: 4,
  steps: 240,
  lr: 2e-3,
  minLr: 2e-4,
  warmupSteps: 20,
  weightDecay: 0.1,
  beta1: 0.9,
  beta2: 0.98,
  gradClip: 1,
  seed: 1,
  checkpointEvery: 20,
  evalEvery: 40,
  evalWindows: 16,
  logEvery: 1,
};
