import type {
  CreateSessionParams, GenerateChunk, GenerateParams, GenerateResult, LogprobsParams, LogprobsResult, PerplexityParams,
  PerplexityResult, SessionInfo, TokenizeParams, TokenizeResult,
} from '../protocol/runtime.js';

/**
 * What an evaluation needs from llama.cpp: the in-process LlamaRuntime (CLI) has exactly these methods; the host
 * adapts its RuntimeClient to them. Models are loaded by the caller and named by id.
 */
export interface EvalRuntime {
  logprobs(params: LogprobsParams, signal?: AbortSignal): Promise<LogprobsResult>;
  perplexity(params: PerplexityParams, signal?: AbortSignal): Promise<PerplexityResult>;
  tokenize(params: TokenizeParams): TokenizeResult | Promise<TokenizeResult>;
  createSession(params: CreateSessionParams, signal?: AbortSignal): Promise<SessionInfo>;
  disposeSession(id: string): Promise<void>;
  resetSession(id: string): Promise<void>;
  generate(params: GenerateParams, onChunk?: (c: GenerateChunk) => void, signal?: AbortSignal): Promise<GenerateResult>;
}

/** A model as an evaluation names it: the runtime's model id, an optional adapter, and a label for reports. */
export interface EvalModel {
  modelId: string;
  label: string;
  lora?: Array<{ path: string; scale?: number }>;
}

/** Progress of an evaluation: `done` of `total` items. */
export type EvalProgress = (done: number, total: number, what: string) => void;
