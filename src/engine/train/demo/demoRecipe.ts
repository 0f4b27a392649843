import type { TrainConfig } from '../TrainConfig.js';

/** Vocabulary size of the demo tokenizer (3 special + 256 bytes + characters + BPE merges [+ 5 chat markers]). */
export const DEMO_VOCAB_SIZE = 2048;

/** No training file gives more than this share of the training text to the chat slice (demoChatSlice). */
export const DEMO_CHAT_FILE_SHARE = 0.05;

/**
 * The first demo model (`--recipe llama`; the shipped one until the phi3 recipe replaced it) and its run, sized for about half an hour of `npm run train:demo` on a 2-core
 * machine shared with other work (the WASM kernels gave 150–900 tokens/s for this shape depending on the load):
 * 240 steps of 8 × 255 tokens ≈ 490K tokens, about 0.6 of the training split.
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

/**
 * The shipped demo model (`npm run train:demo`, recipe phi3): the llama recipe's shape in Phi-3's layout (fused qkv and
 * gate|up), Phi-3's chat markers in the vocabulary, the chat template, and the chat slice mixed into the training
 * stream; 640 steps ≈ 1.31M tokens, 1.35 epochs of the stream (838K file tokens + 126K chat tokens). Measured: 2717 s
 * of training at 481 tokens/s on 2 busy cores, held-out perplexity 12.8 by `model-lab ppl`.
 */
export const DEMO_PHI3_TRAIN_CONFIG: TrainConfig = {
  ...DEMO_TRAIN_CONFIG,
  model: { ...DEMO_TRAIN_CONFIG.model, architecture: 'phi3' },
  steps: 640,
  minLr: 1e-4,
  warmupSteps: 30,
  evalEvery: 80,
};

/** The recipes `npm run train:demo` knows: `chat` adds the chat markers, template and slice. */
export const DEMO_RECIPES = {
  llama: { config: DEMO_TRAIN_CONFIG, chat: false },
  phi3: { config: DEMO_PHI3_TRAIN_CONFIG, chat: true },
} as const satisfies Record<string, { config: TrainConfig; chat: boolean }>;
export type DemoRecipe = keyof typeof DEMO_RECIPES;
