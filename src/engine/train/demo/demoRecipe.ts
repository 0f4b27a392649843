import type { TrainConfig } from '../TrainConfig.js';

/** Vocabulary size of the demo tokenizer (3 special + 256 bytes + characters + BPE merges). */
export const DEMO_VOCAB_SIZE = 2048;

/**
 * The demo model and its training run. Sized so that `npm run train:demo` finishes in about half an hour on a
 * busy 2-core machine with the WASM kernels (about 500–900 tokens/s for this shape), seeing the training split
 * about once.
 */
export const DEMO_TRAIN_CONFIG: TrainConfig = {
  model: {
    architecture: 'llama',
    nVocab: DEMO_VOCAB_SIZE,
    nEmbd: 256,
    nLayer: 4,
    nHead: 4,
    nFf: 704,
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
  steps: 360,
  lr: 2e-3,
  minLr: 2e-4,
  warmupSteps: 30,
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
