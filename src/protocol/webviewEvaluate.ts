/** Messages of the Evaluate panel (see webview.ts for the envelope). */
import type { PlaygroundModelOption } from './webviewPlayground.js';
import { num, obj, optional, str, type IncomingSchemas, type Schema } from './webviewSchema.js';

/** A model of the Models view (or a model variant, named by its path), optionally with a LoRA adapter at a scale. */
export interface EvalTarget {
  modelId: string;
  adapterPath?: string;
  adapterScale?: number;
}

/** What to evaluate and on what: one of the three evaluations of `model-lab eval`. */
export type EvalSpec =
  | {
      kind: 'perplexity';
      target: EvalTarget;
      /** A file or glob (relative to the first workspace folder), or a text (an editor selection) kept in the request. */
      input: { from: 'glob'; pattern: string } | { from: 'text'; name: string; text: string };
    }
  | {
      kind: 'preference-accuracy';
      target: EvalTarget;
      /** A TRL pairs file, or the workspace's preference store exported as pairs when the run starts. */
      pairs: { from: 'file'; path: string } | { from: 'store' };
    }
  | {
      kind: 'win-rate';
      target: EvalTarget;
      against: EvalTarget;
      judge: EvalTarget;
      /** A prompts file (one per line, or JSON lines with "prompt"). */
      promptsFile: string;
      maxTokens: number;
      rubric?: string;
    };

/** One past run as the panel lists it (from `<data>/evals/<id>/result.json`). */
export interface EvalRunSummary {
  id: string;
  kind: 'perplexity' | 'preference-accuracy' | 'win-rate';
  created: string;
  /** The headline figure in words, e.g. "ppl 12.3 over 4096 tokens". */
  headline: string;
  /** The figures of `model-lab eval --json`. */
  figures: Record<string, unknown>;
  reportPath: string;
  /** Whether the panel can run it again (it knows what it was run on). */
  rerunnable: boolean;
}

/** Runs of one model or variant (with its adapter), newest first, with where it came from. */
export interface EvalRunGroup {
  key: string;
  label: string;
  /** The variant chain up to the base model, e.g. ["dpo-…", "pruned-…", "demo.gguf"]; empty for a base model. */
  lineage: string[];
  runs: EvalRunSummary[];
}

export interface EvaluateState {
  models: PlaygroundModelOption[];
  /** LoRA adapter variants of the workspace: path, name and the model they were trained on. */
  adapters: Array<{ path: string; name: string; baseModelId: string | null }>;
  /** Where results go; null without a workspace folder (the panel then cannot run). */
  dataDirectory: string | null;
  /** A target to start with (the Models-view node the panel was opened on), once. */
  target: EvalTarget | null;
  /** The active editor's selection when the panel opened (perplexity on a selection), once. */
  selection: { name: string; text: string } | null;
  history: EvalRunGroup[];
}

export interface EvalProgressMessage {
  runId: string;
  done: number;
  total: number;
  what: string;
}

export interface EvaluateProtocol {
  requests: {
    'evaluate/run': { params: EvalSpec; result: { runId: string } };
    'evaluate/cancel': { params: { runId: string }; result: { cancelled: boolean } };
    /** Runs a past evaluation again with the same inputs (a new run folder). */
    'evaluate/rerun': { params: { id: string }; result: { runId: string } };
    'evaluate/openReport': { params: { id: string }; result: { opened: boolean } };
    'evaluate/pickFile': { params: { purpose: 'text' | 'pairs' | 'prompts' | 'adapter' }; result: { path: string | null } };
    'evaluate/refresh': { params: Record<string, never>; result: { groups: number } };
  };
  toWebview: {
    'evaluate/state': EvaluateState;
    'evaluate/history': { history: EvalRunGroup[] };
    'evaluate/started': { runId: string; kind: EvalSpec['kind']; label: string };
    'evaluate/progress': EvalProgressMessage;
    'evaluate/done': { runId: string; run: EvalRunSummary };
    'evaluate/failed': { runId: string; code: string; message: string; cancelled: boolean };
  };
  toHost: Record<string, never>;
}

const path = str({ minLength: 1, maxLength: 4096 });
const target: Schema = obj({ modelId: path, adapterPath: optional(path), adapterScale: optional(num({ min: -4, max: 4 })) });
const runId = str({ minLength: 1, maxLength: 64 });
const evalId = str({ minLength: 1, maxLength: 256 });

/** Only the keys of the variant named by `field` (discriminated unions do not fit `obj`). */
const oneOfShapes = (field: string, shapes: Record<string, Schema>): Schema => (v, p) => {
  const tag = (v as Record<string, unknown> | null)?.[field];
  const shape = typeof tag === 'string' && Object.hasOwn(shapes, tag) ? shapes[tag] : undefined;
  return shape ? shape(v, p) : `${p}.${field}: expected one of ${Object.keys(shapes).join(', ')}`;
};

const spec = oneOfShapes('kind', {
  perplexity: obj({
    kind: str(),
    target,
    input: oneOfShapes('from', {
      glob: obj({ from: str(), pattern: path }),
      text: obj({ from: str(), name: str({ minLength: 1, maxLength: 512 }), text: str({ minLength: 1, maxLength: 8_000_000 }) }),
    }),
  }),
  'preference-accuracy': obj({ kind: str(), target, pairs: oneOfShapes('from', { file: obj({ from: str(), path }), store: obj({ from: str() }) }) }),
  'win-rate': obj({
    kind: str(), target, against: target, judge: target, promptsFile: path,
    maxTokens: num({ min: 1, max: 4096, integer: true }), rubric: optional(str({ maxLength: 4000 })),
  }),
});

export const evaluateIncoming: IncomingSchemas = {
  requests: {
    'evaluate/run': spec,
    'evaluate/cancel': obj({ runId }),
    'evaluate/rerun': obj({ id: evalId }),
    'evaluate/openReport': obj({ id: evalId }),
    'evaluate/pickFile': obj({ purpose: str({ oneOf: ['text', 'pairs', 'prompts', 'adapter'] }) }),
    'evaluate/refresh': obj({}),
  },
  notifications: {},
};
