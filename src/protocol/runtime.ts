// JSON-RPC contract between the runtime process (src/runtime/main.ts, owns node-llama-cpp) and its callers
// (RuntimeClient in the host, the CLI, tests). Types only: both sides import this file, nothing else of each other.
//
// Requests are named `runtime/<verb>`; the child sends notifications `runtime/<event>` for streamed data.
// Errors come back as JSON-RPC errors whose `data` is an RpcErrorData (src/protocol/rpc.ts), rebuilt by the client
// as a typed error.

/** `modelLab.gpu` setting and the CLI's `--gpu`: the one list of values. `off` = CPU only. */
export const GPU_SETTINGS = ['auto', 'cuda', 'vulkan', 'metal', 'off'] as const;
export type GpuSetting = (typeof GPU_SETTINGS)[number];
/** `modelLab.gpuLayers` setting: how many layers llama.cpp offloads to the GPU. */
export type GpuLayersSetting = 'auto' | 'max' | number;
/** The compute backend actually in use. */
export type GpuBackend = 'cuda' | 'vulkan' | 'metal' | 'cpu';
export type RuntimeLogLevel = 'error' | 'warn' | 'info' | 'debug';

// ---- runtime/initialize -------------------------------------------------------------------------------------
export interface InitializeParams {
  gpu?: GpuSetting; // default 'auto'
  /** llama.cpp messages at or above this level are forwarded as runtime/log. Default 'warn'. */
  logLevel?: RuntimeLogLevel;
  /** CPU threads for every context unless a session names its own (0/undefined = automatic). */
  threads?: number;
}
export interface BackendInfo {
  requested: GpuSetting;
  backend: GpuBackend;
  /** Set when the requested GPU backend is not the one in use: why (the log has the same line). */
  fallback?: string;
  devices: string[];
  vram: { total: number; used: number; free: number };
  cpuMathCores: number;
  maxThreads: number;
  nodeLlamaCppVersion: string;
  pid: number;
}

// ---- runtime/loadModel, runtime/unloadModel -----------------------------------------------------------------
export interface LoadModelParams {
  /** Caller-chosen id, stable across runtime restarts (the client reloads with the same id). */
  id: string;
  path: string;
  gpuLayers?: GpuLayersSetting; // default 'auto'
}
export interface LoadedModelInfo {
  id: string;
  path: string;
  architecture: string;
  /** Layers llama.cpp offloaded to the GPU (0 on CPU). */
  gpuLayers: number;
  layerCount: number;
  backend: GpuBackend;
  /** Set when a GPU load failed and the model was loaded on the CPU instead: why. */
  fallback?: string;
  sizeBytes: number;
  /** What llama.cpp expects the weights to take in RAM and VRAM (bytes), without contexts. */
  memory: { ram: number; vram: number };
  trainContextSize: number;
  vocabSize: number;
  addsBos: boolean;
  chatTemplate: boolean;
  loadMs: number;
}
export interface ModelIdParams {
  id: string;
}

// ---- sessions ---------------------------------------------------------------------------------------------
export interface LoraAdapterRef {
  path: string;
  scale?: number; // default 1
}
export interface CreateSessionParams {
  /** Caller-chosen id, stable across restarts. */
  id: string;
  modelId: string;
  contextSize?: number; // default min(4096, model's training context)
  threads?: number; // 0/undefined = automatic
  lora?: LoraAdapterRef[];
  /** System prompt for chat mode. */
  systemPrompt?: string;
  /**
   * A context for scoring many texts: llama.cpp's full-precision settings (F32 KV cache, no flash attention), so
   * log-probs asked on this session equal those of a fresh scoring context.
   */
  scoring?: boolean;
}
export interface SessionInfo {
  id: string;
  modelId: string;
  contextSize: number;
  lora: Array<{ path: string; scale: number }>;
}
export interface SessionIdParams {
  id: string;
}

// ---- generation ---------------------------------------------------------------------------------------------
export interface SamplingOptions {
  maxTokens?: number; // default 256
  /** 0 = greedy (argmax). Default 0.8. */
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  seed?: number;
  /** Penalty for repeating the last 64 tokens (1 = off, default off). */
  repeatPenalty?: number;
  stop?: string[];
}
export interface GenerateParams extends SamplingOptions {
  sessionId: string;
  /** Caller-chosen id: chunks carry it, runtime/cancel names it. */
  generationId: string;
  prompt: string;
  /** completion: continue the raw text; chat: one user turn through the model's own chat template. */
  mode?: 'completion' | 'chat';
  /**
   * Chat mode only: the whole conversation, replacing the session's history (the system prompt included); the last
   * message must be the user's turn, and `prompt` is ignored. Without it, `prompt` is one more user turn.
   */
  messages?: ChatMessage[];
}
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}
/**
 * Why a generation ended (src/protocol/stopReasons.ts words each for users): eos = the model's end-of-sequence
 * token; stopString = one of `stop`; maxTokens = the limit asked for; contextFull = the context window had no room
 * for another token; cancelled = the caller stopped it.
 */
export type StopReason = 'maxTokens' | 'eos' | 'stopString' | 'contextFull' | 'cancelled' | 'other';
export interface GenerateChunk {
  generationId: string;
  text: string;
  tokens: number[];
}
export interface GenerateResult {
  generationId: string;
  text: string;
  tokens: number[];
  promptTokens: number;
  /** Chat: the conversation's tokens as evaluated before the reply (BOS and template markers included), so the reply
   *  can be scored in the context it was generated in. Absent when they could not be told apart from the reply. */
  chatContextTokens?: number[];
  stopReason: StopReason;
  /** From the request to the first generated token (includes prompt evaluation). */
  timeToFirstTokenMs: number;
  /** Generated tokens per second after the first one (decode speed). */
  tokensPerSecond: number;
  totalMs: number;
}
export interface CancelParams {
  generationId: string;
}

// ---- tokens and probabilities ---------------------------------------------------------------------------------
export interface TokenizeParams {
  modelId: string;
  text: string;
  /** Prepend BOS when the model adds one (as generation and logprobs do). Default false. */
  addBos?: boolean;
  /** Read special-token texts as those tokens (a chat template's rendering). Default false: plain text. */
  parseSpecial?: boolean;
}
export interface TokenizeResult {
  tokens: number[];
  pieces: string[];
}
export interface DetokenizeParams {
  modelId: string;
  tokens: number[];
  /** The tokens that come before (the last few are enough), so a leading space comes out as it does in the text. */
  before?: number[];
}
export interface DetokenizeResult {
  text: string;
}
/** Where log-probabilities are computed: an existing session (its context and adapters) or a fresh context. */
export interface ScoringTarget {
  sessionId?: string;
  modelId?: string;
  lora?: LoraAdapterRef[];
  contextSize?: number;
}
export interface LogprobsParams extends ScoringTarget {
  text: string;
  /** Score these token ids (BOS included when wanted) instead of tokenizing `text`. */
  tokens?: number[];
  /** Read special-token texts in `text` as those tokens (a chat template's rendering), as llama.cpp's chat does. */
  parseSpecial?: boolean;
  /** Also return the top-k of each next-token distribution (k ≤ 20). */
  top?: number;
}
export interface LogprobsResult {
  tokens: number[];
  pieces: string[];
  /** Natural log p(token i | tokens < i) from the full-vocabulary softmax; null for token 0. */
  logprobs: Array<number | null>;
  /** With `top`: for each position i, the k most likely tokens after tokens[0..i]. */
  top?: Array<Array<{ token: number; piece: string; logprob: number }>>;
}
export interface PerplexityParams extends ScoringTarget {
  text: string;
  /** Window size in tokens (default: the context size). Windows overlap by half; each token is scored once. */
  window?: number;
}
export interface PerplexityResult {
  ppl: number;
  /** Tokens scored (every token but the first). */
  tokens: number;
  /** Sum of -log p over the scored tokens. */
  nll: number;
  windows: number;
}

// ---- downloads ---------------------------------------------------------------------------------------------
export interface DownloadParams {
  downloadId: string;
  /** `hf:user/repo/file.gguf[#branch]`, `hf:user/repo:quant`, or an http(s) URL. */
  uri: string;
  dirPath: string;
  fileName?: string;
  /** Hugging Face endpoint override (tests, mirrors). */
  hfEndpoint?: string;
}
export interface DownloadResult {
  path: string;
  bytes: number;
  /** The file was already complete on disk. */
  skipped: boolean;
}
export interface DownloadProgress {
  downloadId: string;
  downloadedBytes: number;
  totalBytes: number;
  bytesPerSecond: number;
}
export interface DownloadIdParams {
  downloadId: string;
}

// ---- notifications from the child -----------------------------------------------------------------------------
export interface RuntimeLogLine {
  level: RuntimeLogLevel;
  message: string;
  /** ms since epoch */
  time: number;
}
export interface LoadProgress {
  modelId: string;
  progress: number; // 0…1
}

/** Every request: method → params and result. */
export interface RuntimeRequests {
  'runtime/initialize': { params: InitializeParams; result: BackendInfo };
  'runtime/backendInfo': { params: Record<string, never>; result: BackendInfo };
  'runtime/loadModel': { params: LoadModelParams; result: LoadedModelInfo };
  'runtime/unloadModel': { params: ModelIdParams; result: void };
  'runtime/listModels': { params: Record<string, never>; result: LoadedModelInfo[] };
  'runtime/createSession': { params: CreateSessionParams; result: SessionInfo };
  'runtime/disposeSession': { params: SessionIdParams; result: void };
  'runtime/resetSession': { params: SessionIdParams; result: void };
  'runtime/generate': { params: GenerateParams; result: GenerateResult };
  'runtime/cancel': { params: CancelParams; result: boolean };
  'runtime/tokenize': { params: TokenizeParams; result: TokenizeResult };
  'runtime/detokenize': { params: DetokenizeParams; result: DetokenizeResult };
  'runtime/logprobs': { params: LogprobsParams; result: LogprobsResult };
  'runtime/perplexity': { params: PerplexityParams; result: PerplexityResult };
  'runtime/download': { params: DownloadParams; result: DownloadResult };
  'runtime/cancelDownload': { params: DownloadIdParams; result: boolean };
}
export type RuntimeMethod = keyof RuntimeRequests;

/** Every notification the child sends: method → payload. */
export interface RuntimeNotifications {
  'runtime/log': RuntimeLogLine;
  'runtime/generateChunk': GenerateChunk;
  'runtime/loadProgress': LoadProgress;
  'runtime/downloadProgress': DownloadProgress;
}
export type RuntimeNotificationMethod = keyof RuntimeNotifications;

