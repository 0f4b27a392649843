/** Messages of the Tune panel (see webview.ts for the envelope). */
import type { JobState } from './jobs.js';
import { num, obj, optional, str, type IncomingSchemas, type Schema } from './webviewSchema.js';

export type TuneMethodName = 'dpo' | 'ipo' | 'sft';
export const TUNE_METHODS: readonly TuneMethodName[] = ['dpo', 'ipo', 'sft'];

export type TunePresetName = 'quick' | 'balanced' | 'thorough';

/** A preset: passes over the pairs (capped at maxSteps steps) and the LoRA rank. */
export interface TunePreset {
  label: string;
  epochs: number;
  maxSteps: number;
  rank: number;
}

/** quick: a first look in a minute or two; balanced: the CLI's defaults (4 passes); thorough: more passes and a wider adapter. */
export const TUNE_PRESETS: Record<TunePresetName, TunePreset> = {
  quick: { label: 'Quick', epochs: 1, maxSteps: 6, rank: 4 },
  balanced: { label: 'Balanced', epochs: 4, maxSteps: 400, rank: 8 },
  thorough: { label: 'Thorough', epochs: 8, maxSteps: 2000, rank: 16 },
};
export const TUNE_PRESET_NAMES = Object.keys(TUNE_PRESETS) as TunePresetName[];

/** Where the pairs come from: the workspace's preference store, or a TRL pairs file. */
export type TunePairsSource = { from: 'store' } | { from: 'file'; path: string };

export interface TuneDataset {
  /** Pairs in the store (ties left out) or the file. */
  pairs: number;
  train: number;
  heldOut: number;
  /** Where they are, in words ("preference store", a file name). */
  label: string;
}

/** What a preset will cost, before starting: an estimate, said as one. */
export interface TuneEstimate {
  steps: number;
  seconds: number;
  /** Peak memory of the job process: the weights as stored, the adapter with its optimizer state, activations. */
  memoryBytes: number;
  tokensPerSec: number;
  /** tokens/s measured by an earlier tune run of this model, or a conservative guess from its size. */
  tokensPerSecSource: 'measured' | 'assumed';
}

export interface TuneModelOption {
  id: string;
  name: string;
}

/** One step of the chart (metrics.jsonl under TRL's names). */
export interface TuneMetricPoint {
  step: number;
  loss: number;
  margin: number | null;
  accuracy: number | null;
}

export interface TuneAccuracy {
  state: 'measuring' | 'done' | 'failed' | 'none';
  /** Held-out preference accuracy by llama.cpp without and with the adapter (ties count half). */
  before?: number;
  after?: number;
  pairs: number;
  message?: string;
}

/** The tune job the panel follows (the one it started, or the latest tune job of the data folder). */
export interface TuneJobView {
  jobId: string;
  title: string;
  state: JobState;
  phase: string | null;
  fraction: number;
  step: number | null;
  steps: number | null;
  etaSec: number | null;
  tokensPerSec: number | null;
  error: string | null;
  metrics: TuneMetricPoint[];
  /** When done: the adapter variant and the model it belongs to. */
  result: { variantId: string; adapterPath: string; modelId: string } | null;
  accuracy: TuneAccuracy | null;
}

export interface TuneState {
  models: TuneModelOption[];
  /** The model to start with (the Models-view node the panel opened on). */
  model: string | null;
  dataDirectory: string | null;
  job: TuneJobView | null;
}

export interface TuneStartParams {
  modelId: string;
  pairs: TunePairsSource;
  preset: TunePresetName;
  method: TuneMethodName;
  /** LoRA dropout (PEFT's lora_dropout) in [0, 0.9]; default 0. */
  dropout?: number;
}

/** DNO iterations from the panel: prompts, K samples per prompt, the oracle that ranks them. */
export interface TuneDnoStartParams {
  modelId: string;
  /** The preference store's comparison prompts, or a prompts file (JSON lines with "prompt", or one per line). */
  prompts: TunePairsSource;
  samples: number;
  iterations: number;
  /** me: each prompt's samples open in the Label panel; judge: a local model scores them with a rubric. */
  oracle: { kind: 'me' } | { kind: 'judge'; modelId: string };
}

/** One iteration of the history table. */
export interface TuneDnoRow {
  iteration: number;
  /** New pairs and earlier ones replayed. */
  pairs: number;
  replayed: number;
  /** Mean oracle score of fresh samples on the validation prompts. */
  metric: number;
  heldOutAccuracy: number | null;
  adapterPath: string;
  variantId: string | null;
  /** The iterate kept (highest metric). */
  best: boolean;
}

export interface TuneDnoView {
  runDir: string;
  state: 'running' | 'done' | 'failed' | 'cancelled';
  phase: string | null;
  iteration: number;
  iterations: number;
  fraction: number;
  /** What the user should do (rank in the Label panel), or why it stopped. */
  message: string | null;
  /** The base model's metric, before iteration 1. */
  baseline: number | null;
  oracle: string | null;
  rows: TuneDnoRow[];
  /** Why the loop ended early (an iteration made no pair). */
  stopped: string | null;
}

export interface TuneProtocol {
  requests: {
    /** The dataset summary and each preset's estimate for a model and a pairs source. */
    'tune/dataset': { params: { modelId: string; pairs: TunePairsSource }; result: { dataset: TuneDataset; estimates: Record<TunePresetName, TuneEstimate> } };
    'tune/pickPairs': { params: Record<string, never>; result: { path: string | null } };
    'tune/start': { params: TuneStartParams; result: { jobId: string } };
    'tune/cancel': { params: { jobId: string }; result: { cancelled: boolean } };
    'tune/resume': { params: { jobId: string }; result: { resumed: boolean } };
    /** Opens Compare on the model and the model + adapter. */
    'tune/compare': { params: { jobId: string }; result: { opened: boolean } };
    /** Starts DNO iterations (the view comes as tune/dno notifications). */
    'tune/dnoStart': { params: TuneDnoStartParams; result: { runDir: string } };
    'tune/dnoCancel': { params: { runDir: string }; result: { cancelled: boolean } };
    /** Opens Compare on an iterate and the one before it (the base for iteration 1). */
    'tune/dnoCompare': { params: { runDir: string; iteration: number }; result: { opened: boolean } };
  };
  toWebview: {
    'tune/state': TuneState;
    'tune/job': TuneJobView;
    'tune/dno': TuneDnoView;
  };
  toHost: Record<string, never>;
}

const id = str({ minLength: 1, maxLength: 4096 });
const jobId = str({ minLength: 1, maxLength: 256 });
const pairs: Schema = (v, p) => {
  const from = (v as Record<string, unknown> | null)?.from;
  if (from === 'store') return obj({ from: str() })(v, p);
  if (from === 'file') return obj({ from: str(), path: id })(v, p);
  return `${p}.from: expected store or file`;
};

export const tuneIncoming: IncomingSchemas = {
  requests: {
    'tune/dataset': obj({ modelId: id, pairs }),
    'tune/pickPairs': obj({}),
    'tune/start': obj({ modelId: id, pairs, preset: str({ oneOf: TUNE_PRESET_NAMES }), method: str({ oneOf: TUNE_METHODS }), dropout: optional(num({ min: 0, max: 0.9 })) }),
    'tune/cancel': obj({ jobId }),
    'tune/resume': obj({ jobId }),
    'tune/compare': obj({ jobId }),
    'tune/dnoStart': obj({
      modelId: id, prompts: pairs, samples: num({ integer: true, min: 2, max: 16 }), iterations: num({ integer: true, min: 1, max: 20 }),
      oracle: (v, p) => {
        const kind = (v as Record<string, unknown> | null)?.kind;
        if (kind === 'me') return obj({ kind: str() })(v, p);
        if (kind === 'judge') return obj({ kind: str(), modelId: id })(v, p);
        return `${p}.kind: expected me or judge`;
      },
    }),
    'tune/dnoCancel': obj({ runDir: id }),
    'tune/dnoCompare': obj({ runDir: id, iteration: num({ integer: true, min: 1, max: 1000 }) }),
  },
  notifications: {},
};
