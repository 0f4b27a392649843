/**
 * TRL's preference rows, in both shapes it reads: standard (`prompt`, `chosen`, `rejected` strings) and
 * conversational (each a list of `{role, content}` messages; the trainer applies the chat template). A row becomes
 * a comparison of two candidates, `chosen` ranked over `rejected`; keys Model Lab has no field for are kept in
 * `extra` and written back, so import then export gives the same rows.
 */
import type { TrlPair } from '../../engine/tune/index.js';
import type { ChatMessage, ComparisonEvent, PromptData } from './schema.js';
import type { NewRecord } from './PreferenceStore.js';
import type { PairSide, PreferencePair } from './derivePairs.js';

export type TrlShape = 'standard' | 'conversational';

/** The trainer's TrlPair plus the keys an imported row carried that Model Lab has no field for. */
export type TrlRow = TrlPair & Record<string, unknown>;

const isMessages = (v: unknown): v is ChatMessage[] =>
  Array.isArray(v) &&
  v.every((m) => typeof m === 'object' && m !== null && !Array.isArray(m) && typeof m.role === 'string' && m.role.length > 0 && typeof m.content === 'string' && Object.keys(m).length === 2);

/** Text of a conversational completion: its messages' contents, blank-line separated. */
export const messagesText = (m: ChatMessage[]): string => m.map((x) => x.content).join('\n\n');

/** Parses one JSONL row; throws a one-line Error naming what is wrong. */
export function trlRowToComparison(value: unknown): NewRecord<ComparisonEvent> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('expected a JSON object with prompt, chosen and rejected');
  const row = value as Record<string, unknown>;
  for (const k of ['prompt', 'chosen', 'rejected']) if (!(k in row)) throw new Error(`missing "${k}" (implicit-prompt rows are not supported)`);
  const { prompt, chosen, rejected, ...extra } = row;
  let shape: TrlShape;
  if (typeof prompt === 'string' && typeof chosen === 'string' && typeof rejected === 'string') shape = 'standard';
  else if (isMessages(prompt) && isMessages(chosen) && isMessages(rejected)) shape = 'conversational';
  else throw new Error('prompt, chosen and rejected must all be strings, or all be lists of {role, content} messages with string content');
  const cand = (id: string, v: string | ChatMessage[]) => (typeof v === 'string' ? { id, text: v } : { id, text: messagesText(v), messages: v });
  const c = cand('chosen', chosen as string | ChatMessage[]);
  const r = cand('rejected', rejected as string | ChatMessage[]);
  if (JSON.stringify(chosen) === JSON.stringify(rejected)) throw new Error('chosen and rejected are identical: no preference');
  const p: PromptData = shape === 'standard' ? { text: prompt as string } : { messages: prompt as ChatMessage[] };
  return {
    kind: 'comparison',
    prompt: p,
    candidates: [c, r],
    ranking: [['chosen'], ['rejected']],
    origin: 'import',
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };
}

/** The shape a set of pairs exports in by default: conversational when every prompt has chat messages. */
export function autoShape(pairs: readonly PreferencePair[]): TrlShape {
  return pairs.length > 0 && pairs.every((p) => p.prompt.messages !== undefined) ? 'conversational' : 'standard';
}

const sideValue = (s: PairSide, shape: TrlShape): string | ChatMessage[] =>
  shape === 'standard' ? s.text : (s.messages ?? [{ role: 'assistant', content: s.text }]);

/** One TRL row, or null when the pair cannot be written in this shape (a chat-only prompt as standard, a raw prompt as conversational). */
export function pairToTrlRow(p: PreferencePair, shape: TrlShape): TrlRow | null {
  const prompt = shape === 'standard' ? p.prompt.text : p.prompt.messages;
  if (prompt === undefined) return null;
  return { prompt, chosen: sideValue(p.chosen, shape), rejected: sideValue(p.rejected, shape), ...(p.extra ?? {}) };
}
