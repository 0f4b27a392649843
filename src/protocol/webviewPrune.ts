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

export interface PruneState {
  models: PruneModelOption[];
  /** The model to start with (the Models-view node the panel opened on). */
  model: string | null;
  dataDirectory: string | null;
  job: PruneJobView | null;
}

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
    'prune/cancel': { params: { jobId: string }; result: { cancelled: boolean } };
    /** Opens Compare on the base model and the pruned variant. */
    'prune/compare': { params: { jobId: string }; result: { opened: boolean } };
  };
  toWebview: {
    'prune/state': PruneState;
    'prune/job': PruneJobView;
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

export const pruneIncoming: IncomingSchemas = {
  requests: {
    'prune/predict': obj({ modelId: id, sparsity }),
    'prune/pickCalibration': obj({}),
    'prune/start': obj({
      modelId: id, method: str({ oneOf: PRUNE_PANEL_METHODS }), sparsity, allocation: str({ oneOf: PRUNE_ALLOCATIONS }), calibration,
    }),
    'prune/cancel': obj({ jobId }),
    'prune/compare': obj({ jobId }),
  },
  notifications: {},
};
