import type { GgufFile } from '../gguf/index.js';
import type { KernelBackend } from '../kernels/index.js';
import type { CalibrationSet } from './calibration.js';
import type { FfnLayerTensors } from './ffnLayout.js';
import type { NeuronSimilarity } from './neuronSimilarity.js';

export const PRUNE_METHODS = ['random', 'magnitude', 'activation', 'flap', 'sensitivity', 'movement', 'gum', 'gum-oneshot'] as const;
export type PruneMethod = (typeof PRUNE_METHODS)[number];

/** Methods that run the model on calibration text (the others read weights only). */
export const CALIBRATED_METHODS: ReadonlySet<PruneMethod> = new Set(['activation', 'flap', 'sensitivity', 'movement', 'gum', 'gum-oneshot']);

/** What every score function gets. */
export interface ScoreContext {
  modelPath: string;
  file: GgufFile;
  layers: FfnLayerTensors[];
  /** calibration token windows (methods in CALIBRATED_METHODS need them) */
  calibration?: CalibrationSet;
  seed: number;
  /** kernel backend for model runs (default: the WASM kernels on `threads` threads) */
  backend?: KernelBackend;
  threads?: number;
  /** learned methods (movement, gum): optimizer steps, and distillation from the unpruned model */
  steps?: number;
  distill?: boolean;
  /** the kept fraction the learned methods anneal to (1 − sparsity) */
  keep?: number;
  /** how the kept neurons will be chosen: the learned methods select the same way while they train */
  allocation?: 'uniform' | 'global';
  /** learned methods: folder for checkpoints and metrics.jsonl (resumable); default a temporary folder */
  runDir?: string;
  signal?: AbortSignal;
  /** fraction of the scoring done, in [0, 1] */
  onProgress?: (fraction: number) => void;
}

/** One score per neuron and layer: higher = more worth keeping. */
export interface NeuronScores {
  /** [F] per layer */
  scores: Float32Array[];
  /** FLAP: mean activation of each neuron over the calibration tokens (for bias compensation) */
  meanActivation?: Float32Array[];
  /** methods that run the calibration text forward: the top-scored neurons' activation similarity per layer */
  similarity?: { rows: number; layers: NeuronSimilarity[] };
}
