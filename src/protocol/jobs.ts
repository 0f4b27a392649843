// JSON-RPC contract between the job process (src/jobs/main.ts: long CPU work on the engine) and its callers
// (JobClient in the host, tests). Types only. One request = one job: it resolves with the job's result, is cancelled
// through JSON-RPC cancellation, and streams `jobs/progress` notifications tagged with the caller's jobId.
// Errors come back as JSON-RPC errors whose `data` is a JobErrorData, rebuilt by the client as a typed error.

export interface JobErrorData {
  name: string;
  code: string;
}

/** The training settings (the engine's TrainConfig, as JSON). */
export interface TrainJobConfig {
  model: {
    architecture?: 'llama' | 'phi3' | 'qwen2';
    nVocab: number; nEmbd: number; nLayer: number; nHead: number; nHeadKv?: number; nFf: number;
    contextLength?: number; ropeBase?: number; normEps?: number; tiedOutput?: boolean; initStd?: number; seed?: number;
  };
  seqLen: number; batchSize: number; microBatch?: number; steps: number;
  lr: number; minLr: number; warmupSteps: number; weightDecay: number; beta1: number; beta2: number; gradClip: number;
  seed: number; checkpointEvery: number; evalEvery: number; evalWindows: number; logEvery?: number;
}

// ---- jobs/train ---------------------------------------------------------------------------------------------
export interface TrainJobParams {
  /** Chosen by the caller; progress notifications carry it. */
  jobId: string;
  /** runs/<id>/: config.json, metrics.jsonl, checkpoint.bin; an existing checkpoint of the same run resumes. */
  runDir: string;
  config: TrainJobConfig;
  /** Token ids as little-endian int32, files joined with EOS. */
  trainTokensPath: string;
  heldOutTokensPath?: string;
  bosId: number;
  /** 'wasm' (default) or 'reference' kernels; threads for wasm (default 2). */
  backend?: 'wasm' | 'reference';
  threads?: number;
  /** Where to save the trained model as GGUF (optional). */
  outputPath?: string;
  /** GGML type id of the saved 2-D weights (default 1 = F16). */
  outputWeightType?: number;
}
export interface TrainJobResult {
  steps: number;
  resumedFrom: number;
  stepsRun: number;
  finalLoss: number;
  heldOutLoss?: number;
  wallSec: number;
  outputPath?: string;
}

// ---- jobs/progress (notification, child → parent) ------------------------------------------------------------
export interface JobProgress {
  jobId: string;
  step: number;
  steps: number;
  loss: number;
  lr: number;
  tokensPerSec: number;
  elapsedSec: number;
  etaSec: number;
  heldOutLoss?: number;
}

export const JOBS_TRAIN = 'jobs/train';
export const JOBS_PROGRESS = 'jobs/progress';
