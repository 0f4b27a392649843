/**
 * What the host needs from the runtime process, in the host's words. `createRuntimeAdapter.ts` implements it over
 * src/runtime/client/RuntimeClient; unit tests implement it with a stub.
 */
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
  totalLayers: number | null;
  /** Bytes the model (and its context) take, as the runtime reports them. */
  memoryBytes: number | null;
  /** Set when a GPU was asked for and the model runs on the CPU instead: why. */
  fallback?: string | null;
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
  download(uri: string, directory: string, onProgress: (p: DownloadProgress) => void, signal: AbortSignal): Promise<{ path: string }>;
  /** Handles of the models the runtime holds now (after a crash it reloads what it can). */
  loadedHandles?(): string[];
  onLog: Event<string>;
  onEvent: Event<RuntimeEvent>;
}
