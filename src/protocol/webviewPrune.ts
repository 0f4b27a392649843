/** Messages of the Prune panel (see webview.ts for the envelope). */
import type { JobState } from './jobs.js';
import { num, obj, str, type IncomingSchemas, type Schema } from './webviewSchema.js';

/** The engine's methods (src/engine/prune PRUNE_METHODS; a unit test keeps the two equal), in the panel's order. */
export type PrunePanelMethod = 'random' | 'magnitude' | 'activation' | 'flap' | 'sensitivity' | 'movement' | 'gum' | 'gum-oneshot';
export const PRUNE_PANEL_METHODS: readonly PrunePanelMethod[] = ['random', 'magnitude', 'activation', 'flap', 'sensitivity', 'movement', 'gum', 'gum-oneshot'];
/** Methods that read calibration text (the rest score from the weights alone). */
export const PRUNE_CALIBRATED: readonly PrunePanelMethod[] = ['activation', 'flap', 'sensitivity', 'movement', 'gum', 'gum-oneshot'];

export type PruneAllocationName = 'uniform' | 'global';
export const PRUNE_ALLOCATIONS: readonly PruneAllocationName[] = ['uniform', 'global'];

/** The slider's range: the share of FFN neurons removed. */
export const PRUNE_MAX_SPARSITY = 0.9;

/** Calibration text: the built-in sample, a file or glob (from the first workspace folder), or the editor's selection. */
export type PruneCalibrationSource = { from: 'sample' } | { from: 'files'; pattern: string } | { from: 'selection' };

export interface PruneModelOption {
  id: string;
  name: string;
}

/**
 * What pruning will leave, from the GGUF header before any scoring: a prediction. Kept widths are the uniform ones
 * (a global allocation moves neurons between layers after scoring; the totals stay close), rounded as the writer
 * rounds them. Speed is assumed proportional to the weight bytes read per token.
 */
export interface PrunePrediction {
  arch: string;
  nLayer: number;
  /** FFN width per layer before and (predicted) after */
  nFfBefore: number[];
  keptPerLayer: number[];
  paramsBefore: number;
  paramsAfter: number;
  fileBytesBefore: number;
  fileBytesAfter: number;
  /** the weights held in memory (the KV cache, unchanged by pruning, comes on top) */
  weightBytesBefore: number;
  weightBytesAfter: number;
  /** generation speed after / before, from the weight bytes */
  speedRatio: number;
  /** "kept widths rounded to multiples of 32 (Q8_0 ffn_down)" and the like, or null */
  rounding: string | null;
}

/** The prune job the panel follows (the one it started, or the latest prune job of the data folder). */
export interface PruneJobView {
  jobId: string;
  title: string;
  state: JobState;
  phase: string | null;
  fraction: number;
  etaSec: number | null;
  error: string | null;
  /** When done: the new variant, and the model it was pruned from. */
  result: {
    variantId: string;
    variantPath: string;
    baseModelId: string;
    perLayerKept: number[];
    nFfBefore: number | number[];
    bytesBefore: number;
    bytesAfter: number;
    notes: string[];
  } | null;
}

/** One layer's neuron scores as the panel draws them: a histogram and the cut points. */
export interface PruneLayerScores {
  layer: number;
  /** neurons in the layer */
  width: number;
  min: number;
  max: number;
  /** counts per bin of equal width over [min, max] */
  bins: number[];
  /**
   * quantiles[p] (p = 0…100): the lowest score kept when p % of the layer's neurons are removed (the uniform
   * allocation's cut); quantiles[0] is the minimum
   */
  quantiles: number[];
}

/** The neuron scores of a prune or score job: histograms per layer and the similarity heat maps. */
export interface PruneScoresView {
  jobId: string;
  /** 'prune': the scores a prune job pruned by; 'score': a Score model job (nothing written) */
  source: 'prune' | 'score';
  method: PrunePanelMethod;
  modelName: string;
  layers: PruneLayerScores[];
  /** globalQuantiles[q] (q = 0…1000): the lowest score kept when q ‰ of all layers' neurons are removed (global cut) */
  globalQuantiles: number[];
  /**
   * For methods that run the calibration text: per layer, the cosine similarity of the activations (over `rows`
   * calibration tokens) of its top-scored neurons (best first), [n, n] row-major. Null for weights-only methods.
   */
  similarity: { rows: number; layers: { layer: number; neurons: number[]; cosine: number[] }[] } | null;
}

/** The score below which a layer's neurons are removed at `sparsity` (uniform: per layer; global: one for all). */
export function pruneCutScore(s: PruneScoresView, layer: number, sparsity: number, allocation: PruneAllocationName): number {
  if (allocation === 'global') return s.globalQuantiles[Math.min(1000, Math.max(0, Math.round(sparsity * 1000)))]!;
  return s.layers[layer]!.quantiles[Math.min(100, Math.max(0, Math.round(sparsity * 100)))]!;
}

/** About what share of a layer's neurons score below `cut` (from its percentiles; exact for its uniform cuts). */
export function pruneShareBelow(l: PruneLayerScores, cut: number): number {
  const p = l.quantiles.findIndex((q) => q >= cut);
  return p < 0 ? 1 : p / 100;
}

export interface PruneState {
  models: PruneModelOption[];
  /** The model to start with (the Models-view node the panel opened on). */
  model: string | null;
  dataDirectory: string | null;
  job: PruneJobView | null;
}

/** Score model: the scores of a method without pruning (sparsity and allocation matter to the learned methods only). */
export type PruneScoreParams = PruneStartParams;

export interface PruneStartParams {
  modelId: string;
  method: PrunePanelMethod;
  sparsity: number;
  allocation: PruneAllocationName;
  calibration: PruneCalibrationSource;
}

export interface PruneProtocol {
  requests: {
    'prune/predict': { params: { modelId: string; sparsity: number }; result: PrunePrediction };
    'prune/pickCalibration': { params: Record<string, never>; result: { path: string | null } };
    'prune/start': { params: PruneStartParams; result: { jobId: string } };
    /** Queues a 'score' job: the method's neuron scores, nothing written but the run folder's scores file. */
    'prune/score': { params: PruneScoreParams; result: { jobId: string } };
    'prune/cancel': { params: { jobId: string }; result: { cancelled: boolean } };
    /** Opens Compare on the base model and the pruned variant. */
    'prune/compare': { params: { jobId: string }; result: { opened: boolean } };
  };
  toWebview: {
    'prune/state': PruneState;
    'prune/job': PruneJobView;
    /** The followed job's neuron scores once it is done (null: none to show). */
    'prune/scores': PruneScoresView | null;
  };
  toHost: Record<string, never>;
}

const id = str({ minLength: 1, maxLength: 4096 });
const jobId = str({ minLength: 1, maxLength: 256 });
const sparsity = num({ min: 0, max: PRUNE_MAX_SPARSITY });
const calibration: Schema = (v, p) => {
  const from = (v as Record<string, unknown> | null)?.from;
  if (from === 'sample' || from === 'selection') return obj({ from: str() })(v, p);
  if (from === 'files') return obj({ from: str(), pattern: id })(v, p);
  return `${p}.from: expected sample, files or selection`;
};

const startParams = obj({
  modelId: id, method: str({ oneOf: PRUNE_PANEL_METHODS }), sparsity, allocation: str({ oneOf: PRUNE_ALLOCATIONS }), calibration,
});

export const pruneIncoming: IncomingSchemas = {
  requests: {
    'prune/predict': obj({ modelId: id, sparsity }),
    'prune/pickCalibration': obj({}),
    'prune/start': startParams,
    'prune/score': startParams,
    'prune/cancel': obj({ jobId }),
    'prune/compare': obj({ jobId }),
  },
  notifications: {},
};
