/** Messages of the Compare panel (see webview.ts for the envelope). */
import type { PlaygroundModelOption, SamplingSettings } from './webviewPlayground.js';
import { arr, bool, num, obj, optional, str, type IncomingSchemas, type Schema } from './webviewSchema.js';

/** What one column runs: a model or variant of the Models view (optionally with an adapter), or an endpoint. */
export type CompareSource =
  | { kind: 'model'; modelId: string; adapterPath?: string; adapterScale?: number }
  /** An OpenAI-compatible server (llama-server, Ollama, vLLM, another Model Lab's `model-lab serve`). */
  | { kind: 'endpoint'; url: string; model: string; apiKey?: string };

export interface CompareColumnStats {
  tokens: number;
  timeToFirstTokenMs: number | null;
  tokensPerSecond: number | null;
  stopReason: string;
  /** Size of the model file (and adapter), when the column runs a local model. */
  fileBytes: number | null;
  /** What llama.cpp reports the loaded model takes, when local. */
  memoryBytes: number | null;
}

export interface CompareState {
  models: PlaygroundModelOption[];
  /** Columns to start with (from the command that opened the panel); the webview keeps its own afterwards. */
  columns: CompareSource[] | null;
  /** A prompt to start with (an editor selection), once. */
  prompt: string | null;
  sampling: SamplingSettings;
}

export interface CompareRunParams {
  /** One prompt, or several (run one after another, each across every column). */
  prompts: string[];
  columns: CompareSource[];
  mode: 'chat' | 'complete';
  sampling: SamplingSettings;
  /** Names hidden and columns shuffled; the display order comes back in the result. */
  blind: boolean;
}

export interface HeatToken {
  piece: string;
  /** log p of this token under the column's own model; null for the first token. */
  logprob: number | null;
  /** log p under the other column's model, when a difference was asked. */
  other?: number | null;
}

export interface CompareProtocol {
  requests: {
    'compare/run': { params: CompareRunParams; result: { runId: string; order: number[] } };
    'compare/stop': { params: { runId: string }; result: { stopped: boolean } };
    /** Per-token log-probs of one column's output (prompt excluded) under its model, and under another column's. */
    'compare/heatmap': { params: { runId: string; prompt: number; column: number; against?: number }; result: { tokens: HeatToken[] } };
    /** A blind vote: display positions from best to worst (ties in one tier), or all bad; stored as a preference. */
    'compare/vote': { params: { runId: string; prompt: number; ranking: number[][]; allBad?: boolean }; result: { recordId: string } };
    'compare/pickAdapter': { params: Record<string, never>; result: { path: string | null } };
  };
  toWebview: {
    'compare/state': CompareState;
    'compare/status': { runId: string; prompt: number; column: number; message: string };
    'compare/token': { runId: string; prompt: number; column: number; text: string };
    'compare/done': { runId: string; prompt: number; column: number; stats: CompareColumnStats };
    'compare/error': { runId: string | null; prompt: number; column: number | null; code: string; message: string };
    /** The run is over (every prompt, every column) — or was stopped. */
    'compare/finished': { runId: string };
  };
  toHost: Record<string, never>;
}

export const MAX_COMPARE_COLUMNS = 4;
const MAX_TEXT = 200_000;
const runId = str({ minLength: 1, maxLength: 64 });
const source: Schema = (v, p) => {
  const kind = (v as { kind?: unknown } | null)?.kind;
  if (kind === 'endpoint') {
    return obj({
      kind: str({ oneOf: ['endpoint'] }),
      url: str({ minLength: 8, maxLength: 2048 }),
      model: str({ minLength: 1, maxLength: 512 }),
      apiKey: optional(str({ maxLength: 4096 })),
    })(v, p);
  }
  return obj({
    kind: str({ oneOf: ['model'] }),
    modelId: str({ minLength: 1, maxLength: 4096 }),
    adapterPath: optional(str({ minLength: 1, maxLength: 4096 })),
    adapterScale: optional(num({ min: -4, max: 4 })),
  })(v, p);
};
const columnCount: Schema = (v, p) => arr(source, MAX_COMPARE_COLUMNS)(v, p) ?? ((v as unknown[]).length < 2 ? `${p}: compare needs at least 2 columns` : null);
const index = (max: number): Schema => num({ min: 0, max, integer: true });

export const compareIncoming: IncomingSchemas = {
  requests: {
    'compare/run': obj({
      prompts: arr(str({ maxLength: MAX_TEXT }), 100),
      columns: columnCount,
      mode: str({ oneOf: ['chat', 'complete'] }),
      sampling: obj({
        temperature: num({ min: 0, max: 5 }),
        topP: num({ min: 0, max: 1 }),
        topK: num({ min: 0, max: 100_000, integer: true }),
        maxTokens: num({ min: 1, max: 32_768, integer: true }),
        seed: optional(num({ min: 0, max: 2 ** 32 - 1, integer: true })),
      }),
      blind: bool(),
    }),
    'compare/stop': obj({ runId }),
    'compare/heatmap': obj({ runId, prompt: index(99), column: index(MAX_COMPARE_COLUMNS - 1), against: optional(index(MAX_COMPARE_COLUMNS - 1)) }),
    'compare/vote': obj({ runId, prompt: index(99), ranking: arr(arr(index(MAX_COMPARE_COLUMNS - 1), MAX_COMPARE_COLUMNS), MAX_COMPARE_COLUMNS), allBad: optional(bool()) }),
    'compare/pickAdapter': obj({}),
  },
  notifications: {},
};
