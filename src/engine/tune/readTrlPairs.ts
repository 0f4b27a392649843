import { readFileSync } from 'node:fs';
import { decodeUtf8Text } from '../text/decodeUtf8Text.js';
import { TuneError } from './TuneError.js';

/** One turn of a conversation, as TRL and chat templates take it. */
export interface ChatMessage { role: string; content: string }

/** A preference pair in TRL's shape: strings (raw text) or message lists (conversational; the chat template applies). */
export interface TrlPair {
  prompt: string | ChatMessage[];
  chosen: string | ChatMessage[];
  rejected: string | ChatMessage[];
}

function isMessages(v: unknown): v is ChatMessage[] {
  return Array.isArray(v) && v.every((m) => m && typeof m === 'object' && typeof m.role === 'string' && typeof m.content === 'string');
}

/**
 * Parses TRL preference JSONL: one `{prompt, chosen, rejected}` object per line, each field a string or a list of
 * `{role, content}` messages (other fields are ignored). A missing prompt means the prompt is inside chosen and
 * rejected (TRL's implicit-prompt form) and is taken as their longest common message prefix.
 */
export function parseTrlPairs(text: string, source = 'pairs'): TrlPair[] {
  const out: TrlPair[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const bad = (why: string): never => {
      throw new TuneError('TUNE_BAD_PAIRS', `${source} line ${i + 1}: ${why} (expected TRL {prompt, chosen, rejected}).`);
    };
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return bad('not JSON');
    }
    if (!o || typeof o !== 'object') bad('not an object');
    const field = (k: string): string | ChatMessage[] => {
      const v = o[k];
      if (typeof v === 'string' || isMessages(v)) return v;
      return bad(`'${k}' must be a string or a list of {role, content}`);
    };
    const chosen = field('chosen');
    const rejected = field('rejected');
    if (o.prompt === undefined && isMessages(chosen) && isMessages(rejected)) {
      let k = 0;
      while (k < chosen.length - 1 && k < rejected.length - 1 && chosen[k]!.role === rejected[k]!.role && chosen[k]!.content === rejected[k]!.content) k++;
      out.push({ prompt: chosen.slice(0, k), chosen: chosen.slice(k), rejected: rejected.slice(k) });
      return;
    }
    const prompt = field('prompt');
    if (typeof prompt === 'string' !== (typeof chosen === 'string') || typeof chosen === 'string' !== (typeof rejected === 'string')) {
      bad('prompt, chosen and rejected must all be strings or all be message lists');
    }
    out.push({ prompt, chosen, rejected });
  });
  return out;
}

export function readTrlPairs(path: string): TrlPair[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new TuneError('TUNE_BAD_PAIRS', `Cannot read ${path}: ${(err as Error).message.split('\n')[0]}`);
  }
  // Decoded as every user text file is: a BOM (Windows editors) dropped, other encodings refused by name.
  return parseTrlPairs(decodeUtf8Text(bytes, path), path);
}
