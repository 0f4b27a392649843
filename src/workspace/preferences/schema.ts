/**
 * The preference store's line format, version 1. `<data>/preferences.jsonl` holds one event per line; the current
 * state of the data set is the fold of those events (see foldEvents.ts), so an edit or a delete is one more appended
 * line and never rewrites what was acknowledged before.
 *
 * - `comparison`: a prompt, K candidates and what the user said about them — a ranking in tiers (best first; a
 *   tier of several candidates is a tie), ratings, a rationale, an edited gold answer, "all bad" — with provenance.
 * - `feedback`: one response with a reward of +1 or −1 (an accepted inline suggestion, a thumbs down).
 * - `revise`: the full new content of an earlier comparison or feedback (same id); `delete` and `restore` hide and
 *   show one again. Undo of any of them is the inverse event.
 */
import type { ChatMessage } from '../../engine/tune/index.js';
import { arr, bool, num, obj, optional, str, type Schema } from '../../protocol/webviewSchema.js';

export const PREFERENCE_SCHEMA_VERSION = 1;

/** One chat turn, as the trainer (src/engine/tune) and chat templates take it. */
export type { ChatMessage };

/** What the model was asked: the exact text it saw and/or the chat messages it was built from (at least one). */
export interface PromptData {
  text?: string;
  messages?: ChatMessage[];
}

export interface CandidateSampling {
  temperature?: number;
  topP?: number;
  topK?: number;
  minP?: number;
  maxTokens?: number;
  repeatPenalty?: number;
}

export interface Candidate {
  /** Unique within its record. */
  id: string;
  text: string;
  /** A conversational completion (one or more assistant turns); `text` then holds their joined content. */
  messages?: ChatMessage[];
  model?: string;
  /** base, a pruned variant's id, or base + adapter. */
  variant?: string;
  sampling?: CandidateSampling;
  seed?: number;
  /** Log-probability of each generated token under the model that produced it. */
  tokenLogprobs?: number[];
  /** Where the candidate was shown (0-based) — recorded in blind mode, where the order is shuffled. */
  shownAt?: number;
}

export interface Position {
  line: number;
  character: number;
}

/** Where in the user's code the prompt came from. */
export interface SourceContext {
  file?: string;
  language?: string;
  range?: { start: Position; end: Position };
}

export interface GoldAnswer {
  text: string;
  messages?: ChatMessage[];
  /** The candidate the user started the edit from. */
  fromCandidate?: string;
}

interface EventBase {
  schema: number;
  /** Unique per event; a comparison's or feedback's id is also its record id. */
  id: string;
  /** ISO 8601. */
  createdAt: string;
}

export interface ComparisonEvent extends EventBase {
  kind: 'comparison';
  prompt: PromptData;
  candidates: Candidate[];
  /**
   * Tiers of candidate ids, best first; the ids in one tier are tied (equally good). Candidates in no tier are
   * unplaced: below the first tier and above every later one, unordered among themselves. So the keyboard's "best"
   * alone is `[[b]]`, best and worst `[[b], [w]]`, worst alone `[[], [w]]` (only the first tier may be empty), and a
   * full drag ranking places everyone.
   */
  ranking: string[][];
  /** The user said no candidate is acceptable (B). */
  allBad?: boolean;
  /** Per candidate id, a score on the user's scale. */
  ratings?: Record<string, number>;
  rationale?: string;
  gold?: GoldAnswer;
  context?: SourceContext;
  /** Names hidden and order shuffled while labelling. */
  blind?: boolean;
  /** editor (Generate Alternatives), compare (A/B vote), import (a TRL file), … */
  origin?: string;
  /** Keys of an imported row that Model Lab has no field for, written back on export. */
  extra?: Record<string, unknown>;
}

export interface FeedbackEvent extends EventBase {
  kind: 'feedback';
  prompt: PromptData;
  response: Candidate;
  reward: 1 | -1;
  context?: SourceContext;
  origin?: string;
}

export type PreferenceRecord = ComparisonEvent | FeedbackEvent;

export interface ReviseEvent extends EventBase {
  kind: 'revise';
  target: string;
  record: PreferenceRecord;
}

export interface DeleteEvent extends EventBase {
  kind: 'delete' | 'restore';
  target: string;
}

export type PreferenceEvent = PreferenceRecord | ReviseEvent | DeleteEvent;

// ---- validation -------------------------------------------------------------------------------------------------

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

function numberMap(): Schema {
  return (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${p}: expected object, got ${typeName(v)}`;
    for (const [k, x] of Object.entries(v)) {
      if (typeof x !== 'number' || !Number.isFinite(x)) return `${p}.${k}: expected finite number`;
    }
    return null;
  };
}

const anyObject: Schema = (v, p) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? null : `${p}: expected object, got ${typeName(v)}`);
const id = str({ minLength: 1, maxLength: 200 });
const text = str({ maxLength: 10_000_000 });
const message = obj({ role: str({ minLength: 1, maxLength: 100 }), content: text });
const messages = arr(message, 100_000);
const position = obj({ line: num({ integer: true, min: 0 }), character: num({ integer: true, min: 0 }) });

const prompt: Schema = (v, p) => {
  const e = obj({ text: optional(text), messages: optional(messages) })(v, p);
  if (e) return e;
  const x = v as PromptData;
  return x.text === undefined && x.messages === undefined ? `${p}: needs text or messages` : null;
};

const candidate = obj({
  id,
  text,
  messages: optional(messages),
  model: optional(str({ maxLength: 1000 })),
  variant: optional(str({ maxLength: 1000 })),
  sampling: optional(
    obj({
      temperature: optional(num({ min: 0 })),
      topP: optional(num({ min: 0, max: 1 })),
      topK: optional(num({ integer: true, min: 0 })),
      minP: optional(num({ min: 0, max: 1 })),
      maxTokens: optional(num({ integer: true, min: 0 })),
      repeatPenalty: optional(num({ min: 0 })),
    }),
  ),
  seed: optional(num({ integer: true })),
  tokenLogprobs: optional(arr(num({ max: 0 }), 1_000_000)),
  shownAt: optional(num({ integer: true, min: 0 })),
});

const context = obj({
  file: optional(str({ maxLength: 10_000 })),
  language: optional(str({ maxLength: 100 })),
  range: optional(obj({ start: position, end: position })),
});

const base = { schema: num({ integer: true, min: 1 }), id, createdAt: str({ minLength: 1, maxLength: 64 }) };

const comparisonShape = obj({
  ...base,
  kind: str({ oneOf: ['comparison'] }),
  prompt,
  candidates: arr(candidate, 1000),
  ranking: arr(arr(id, 1000), 1000),
  allBad: optional(bool()),
  ratings: optional(numberMap()),
  rationale: optional(text),
  gold: optional(obj({ text, messages: optional(messages), fromCandidate: optional(id) })),
  context: optional(context),
  blind: optional(bool()),
  origin: optional(str({ maxLength: 100 })),
  extra: optional(anyObject),
});

const feedbackShape = obj({
  ...base,
  kind: str({ oneOf: ['feedback'] }),
  prompt,
  response: candidate,
  reward: (v, p) => (v === 1 || v === -1 ? null : `${p}: expected 1 or -1`),
  context: optional(context),
  origin: optional(str({ maxLength: 100 })),
});

/** Cross-field rules of a comparison: unique candidate ids; tiers name known candidates, each at most once. */
function checkComparison(c: ComparisonEvent, p: string): string | null {
  const ids = new Set<string>();
  for (const cand of c.candidates) {
    if (ids.has(cand.id)) return `${p}.candidates: duplicate id "${cand.id}"`;
    ids.add(cand.id);
  }
  const ranked = new Set<string>();
  for (const [i, tier] of c.ranking.entries()) {
    if (tier.length === 0 && i > 0) return `${p}.ranking[${i}]: empty tier (only the first may be empty)`;
    for (const r of tier) {
      if (!ids.has(r)) return `${p}.ranking: unknown candidate "${r}"`;
      if (ranked.has(r)) return `${p}.ranking: candidate "${r}" ranked twice`;
      ranked.add(r);
    }
  }
  for (const k of Object.keys(c.ratings ?? {})) if (!ids.has(k)) return `${p}.ratings: unknown candidate "${k}"`;
  if (c.gold?.fromCandidate !== undefined && !ids.has(c.gold.fromCandidate)) return `${p}.gold.fromCandidate: unknown candidate "${c.gold.fromCandidate}"`;
  return null;
}

function checkRecord(v: unknown, p: string): string | null {
  const kind = (v as { kind?: unknown } | null)?.kind;
  if (kind === 'comparison') return comparisonShape(v, p) ?? checkComparison(v as ComparisonEvent, p);
  if (kind === 'feedback') return feedbackShape(v, p);
  return `${p}.kind: expected comparison or feedback`;
}

const targetShape = (kind: string): Schema => obj({ ...base, kind: str({ oneOf: [kind] }), target: id });
const reviseShape = obj({ ...base, kind: str({ oneOf: ['revise'] }), target: id, record: anyObject });

/**
 * Checks one parsed line against schema version 1. Returns null when it fits, or a one-line reason naming the
 * field. A line from a newer schema is refused with a reason that says so (it is kept in the file, never rewritten).
 */
export function validateEvent(v: unknown): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return `expected an object, got ${typeName(v)}`;
  const e = v as { schema?: unknown; kind?: unknown };
  if (typeof e.schema === 'number' && e.schema > PREFERENCE_SCHEMA_VERSION) {
    return `schema ${e.schema} is newer than this version of Model Lab reads (${PREFERENCE_SCHEMA_VERSION})`;
  }
  switch (e.kind) {
    case 'comparison':
    case 'feedback':
      return checkRecord(v, 'event');
    case 'revise': {
      const r = reviseShape(v, 'event') ?? checkRecord((v as ReviseEvent).record, 'event.record');
      if (r) return r;
      const rv = v as ReviseEvent;
      return rv.record.id === rv.target ? null : 'event.record.id: must equal event.target';
    }
    case 'delete':
    case 'restore':
      return targetShape(e.kind)(v, 'event');
    default:
      return 'event.kind: expected comparison, feedback, revise, delete or restore';
  }
}
