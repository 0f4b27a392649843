/**
 * Messages of the Label panel (see webview.ts for the envelope). The host owns the truth: it generates the K
 * candidates, decides the shown order (shuffled in blind mode, names hidden) and writes the record; the webview
 * turns keystrokes into a decision and sends it with `label/save`.
 */
import { arr, bool, obj, optional, str, type IncomingSchemas, type Schema } from './webviewSchema.js';

export interface LabelCandidateView {
  id: string;
  /** What the card is called: "1 · demo (seed 7)", or "A" in blind mode. */
  label: string;
  text: string;
  /** Generation finished (or failed: `error`). */
  done: boolean;
  error: string | null;
}

/** What the user said about one task. Ranking: tiers of candidate ids, best first (the store's format). */
export interface LabelDecision {
  ranking: string[][];
  allBad: boolean;
  rationale: string;
  gold: { text: string; fromCandidate: string | null } | null;
}

export interface LabelTaskView {
  taskId: string;
  /** The code or prompt the candidates answer, for display. */
  promptPreview: string;
  file: string | null;
  language: string | null;
  /** In shown order. */
  candidates: LabelCandidateView[];
  blind: boolean;
  /** Labels to start from (a task brought back by undo). */
  decision: LabelDecision | null;
}

export interface LabelState {
  task: LabelTaskView | null;
  /** Tasks waiting after this one. */
  queued: number;
  /** Records saved from this panel (undo can take the last one back). */
  saved: number;
  blind: boolean;
  /** A one-line note: where the last record went, why nothing can be saved, … */
  message: string | null;
}

export interface LabelProtocol {
  requests: {
    'label/save': { params: { taskId: string; decision: LabelDecision }; result: { recordId: string } };
    /** Takes back the last saved record (appends a delete) and brings its task back with its labels. */
    'label/undoSave': { params: Record<string, never>; result: { undone: boolean } };
    'label/stop': { params: { taskId: string }; result: { stopped: boolean } };
    'label/setBlind': { params: { blind: boolean }; result: { blind: boolean } };
    /** Drops the current task without saving. */
    'label/skip': { params: { taskId: string }; result: { skipped: boolean } };
  };
  toWebview: {
    'label/state': LabelState;
    'label/token': { taskId: string; candidateId: string; text: string };
    'label/candidateDone': { taskId: string; candidateId: string; error: string | null };
  };
  toHost: Record<string, never>;
}

const id = str({ minLength: 1, maxLength: 200 });
const MAX_TEXT = 1_000_000;

const decision: Schema = obj({
  ranking: arr(arr(id, 64), 64),
  allBad: bool(),
  rationale: str({ maxLength: MAX_TEXT }),
  gold: optional(obj({ text: str({ maxLength: MAX_TEXT }), fromCandidate: optional(id, true) }), true),
});

export const labelIncoming: IncomingSchemas = {
  requests: {
    'label/save': obj({ taskId: id, decision }),
    'label/undoSave': obj({}),
    'label/stop': obj({ taskId: id }),
    'label/setBlind': obj({ blind: bool() }),
    'label/skip': obj({ taskId: id }),
  },
  notifications: {},
};
