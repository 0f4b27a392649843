/** Messages of the Playground panel (see webview.ts for the envelope). */
import { arr, num, obj, optional, str, type IncomingSchemas } from './webviewSchema.js';

export type PlaygroundMode = 'chat' | 'complete';

export interface SamplingSettings {
  temperature: number;
  topP: number;
  topK: number;
  maxTokens: number;
  /** Absent: a random seed each run. */
  seed?: number;
}

export interface ChatTurn {
  role: 'user' | 'assistant' | 'system';
  text: string;
}

export interface PlaygroundModelOption {
  id: string;
  name: string;
  /** 'demo' | 'user' | 'directory' | 'workspace' | 'variant' */
  source: string;
  /** Whether the GGUF has a chat template; null while unknown (its header not read yet). */
  chatTemplate?: boolean | null;
  /** The context size a session of this model gets (chooseContextSize), when known. */
  contextSize?: number | null;
  /** Set when modelLab.contextSize is more than the model's trained context (one sentence). */
  contextNote?: string | null;
}

export interface GenerateParams {
  modelId: string;
  mode: PlaygroundMode;
  /** Raw completion: the prompt. Chat: the new user message. */
  prompt: string;
  /** Chat only: earlier turns, oldest first. */
  history?: ChatTurn[];
  systemPrompt?: string;
  adapterPath?: string;
  adapterScale?: number;
  sampling: SamplingSettings;
}

export interface GenerationStats {
  tokens: number;
  /** Milliseconds from the request to the first streamed token (includes loading the model when it was not). */
  timeToFirstTokenMs: number | null;
  /** Tokens after the first divided by the time after the first. */
  tokensPerSecond: number | null;
  /** A StopReason of src/protocol/runtime.ts (describeStopReason words it). */
  stopReason: string;
  /** The session's context size (tokens). */
  contextSize?: number;
}

export interface PlaygroundState {
  models: PlaygroundModelOption[];
  selectedModelId: string | null;
  sampling: SamplingSettings;
  /** Set once when the playground was opened on a LoRA variant: the webview fills in this adapter. */
  adapterPath: string | null;
  /** Set once when the playground was opened on an editor selection: the webview puts it in the prompt. */
  prompt?: string | null;
}

export interface PlaygroundProtocol {
  requests: {
    'playground/generate': { params: GenerateParams; result: { jobId: string } };
    'playground/stop': { params: { jobId: string }; result: { stopped: boolean } };
    'playground/copy': { params: { text: string }; result: { copied: boolean } };
    'playground/insert': { params: { text: string }; result: { inserted: boolean } };
    'playground/pickAdapter': { params: Record<string, never>; result: { path: string | null } };
  };
  toWebview: {
    'playground/state': PlaygroundState;
    'playground/status': { jobId: string; message: string };
    'playground/token': { jobId: string; text: string };
    'playground/done': { jobId: string; stats: GenerationStats };
    'playground/error': { jobId: string | null; code: string; message: string };
  };
  toHost: {
    'playground/selectModel': { modelId: string };
  };
}

const MAX_TEXT = 200_000;
const sampling = obj({
  temperature: num({ min: 0, max: 5 }),
  topP: num({ min: 0, max: 1 }),
  topK: num({ min: 0, max: 100_000, integer: true }),
  maxTokens: num({ min: 1, max: 32_768, integer: true }),
  seed: optional(num({ min: 0, max: 2 ** 32 - 1, integer: true })),
});
const jobId = str({ minLength: 1, maxLength: 64 });

export const playgroundIncoming: IncomingSchemas = {
  requests: {
    'playground/generate': obj({
      modelId: str({ minLength: 1, maxLength: 4096 }),
      mode: str({ oneOf: ['chat', 'complete'] }),
      prompt: str({ maxLength: MAX_TEXT }),
      history: optional(arr(obj({ role: str({ oneOf: ['user', 'assistant', 'system'] }), text: str({ maxLength: MAX_TEXT }) }), 500)),
      systemPrompt: optional(str({ maxLength: MAX_TEXT })),
      adapterPath: optional(str({ minLength: 1, maxLength: 4096 })),
      adapterScale: optional(num({ min: -4, max: 4 })),
      sampling,
    }),
    'playground/stop': obj({ jobId }),
    'playground/copy': obj({ text: str({ maxLength: MAX_TEXT * 4 }) }),
    'playground/insert': obj({ text: str({ maxLength: MAX_TEXT * 4 }) }),
    'playground/pickAdapter': obj({}),
  },
  notifications: {
    'playground/selectModel': obj({ modelId: str({ minLength: 1, maxLength: 4096 }) }),
  },
};
