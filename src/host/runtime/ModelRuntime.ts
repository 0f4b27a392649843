/**
 * What the host needs from the runtime process, in the host's words. `createRuntimeAdapter.ts` implements it over
 * src/runtime/client/RuntimeClient; unit tests implement it with a stub.
 */
import type { EvalRuntime } from '../../evaluate/EvalRuntime.js';
import type { Disposable, Event } from '../vscodeApi/HostApi.js';
import type { ChatTurn, PlaygroundMode, SamplingSettings } from '../../protocol/webviewPlayground.js';

export interface BackendInfo {
  /** 'cpu' | 'cuda' | 'vulkan' | 'metal' */
  backend: string;
  devices: string[];
  vramBytes: number | null;
  /** Set when a GPU was asked for and the runtime fell back to CPU. */
  fallbackReason: string | null;
}

export interface LoadOptions {
  gpu: string;
  gpuLayers: 'auto' | number;
  threads: number;
  contextSize: number;
}

export interface LoadedModel {
  /** The runtime's handle for the loaded model. */
  handle: string;
  path: string;
  backend: string;
  gpuLayers: number | null;
  /** Offloadable layers: blocks + the output layer (src/protocol/gpuLayers.ts), the range of gpuLayers. */
  totalLayers: number | null;
  /** Bytes the model (and its context) take, as the runtime reports them. */
  memoryBytes: number | null;
  /** Set when a GPU was asked for and the model runs on the CPU instead: why. */
  fallback?: string | null;
  /** The context length the model was trained with (GGUF), when known. */
  trainContextSize?: number | null;
  /** Set when the model has no chat template (chat mode then falls back to plain turns). */
  chatTemplate?: boolean;
  architecture?: string;
}

export interface GenerateRequest {
  modelHandle: string;
  mode: PlaygroundMode;
  prompt: string;
  history: ChatTurn[];
  systemPrompt?: string;
  adapter?: { path: string; scale: number };
  sampling: SamplingSettings;
  contextSize: number;
}

export interface ScoreTextRequest {
  modelHandle: string;
  /** The prompt, then the text whose tokens are of interest. */
  prompt: string;
  text: string;
  adapter?: { path: string; scale: number };
}

export interface ScoredText {
  /** The tokens after the prompt (a token that straddles the two counts as the text's). */
  pieces: string[];
  logprobs: Array<number | null>;
  /** Token ids of the same tokens: texts scored by two models line up only when these agree. */
  tokens: number[];
}

export interface GenerateResult {
  tokens: number;
  stopReason: string;
  /** Decode speed measured by the runtime (after the first token), when it reports one. */
  tokensPerSecond?: number;
}

export interface CatalogEntry {
  id: string;
  name: string;
  uri: string;
  sizeBytes: number | null;
  description: string;
  recommended: boolean;
}

export interface DownloadProgress {
  downloadedBytes: number;
  totalBytes: number | null;
  /** Average speed so far; 0 before the first bytes. */
  bytesPerSecond: number;
}

export interface RuntimeEvent {
  kind: 'crashed' | 'restarted' | 'stopped';
  reason: string;
}

export interface ModelRuntime extends Disposable {
  backendInfo(): Promise<BackendInfo>;
  loadModel(path: string, opts: LoadOptions, signal?: AbortSignal): Promise<LoadedModel>;
  unloadModel(handle: string): Promise<void>;
  /** Streams text pieces to onText; rejects with AbortedError-like errors when the signal fires. */
  generate(req: GenerateRequest, onText: (text: string) => void, signal: AbortSignal): Promise<GenerateResult>;
  /**
   * Per-token natural-log probabilities of `text` under a loaded model (llama.cpp at full precision, BOS first when
   * the model adds one), with an optional adapter; `promptTokens` = how many leading tokens `prompt` alone gives.
   */
  scoreText(req: ScoreTextRequest, signal: AbortSignal): Promise<ScoredText>;
  download(uri: string, directory: string, onProgress: (p: DownloadProgress) => void, signal: AbortSignal): Promise<{ path: string }>;
  /** Handles of the models the runtime holds now (after a crash it reloads what it can). */
  loadedHandles?(): string[];
  /**
   * The runtime as src/evaluate's functions use it (sessions, log-probs, perplexity, generation), models named by
   * their handles: the Evaluate panel runs the same code as `model-lab eval`.
   */
  evalRuntime?(): EvalRuntime;
  onLog: Event<string>;
  onEvent: Event<RuntimeEvent>;
}
