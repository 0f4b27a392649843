/**
 * Training pairs derived on demand from the store's records (never stored, so a relabel or delete is reflected
 * at once):
 * - best vs each worse: every candidate of the top level (the first tier, or the unplaced candidates when the
 *   first tier is empty) is chosen over every candidate of each lower level — K−1 pairs for one best of K, not
 *   K(K−1)/2, so a single label does not outweigh others;
 * - gold vs others: the user's edited answer is chosen over every candidate that differs from it;
 * - ties (several candidates in one tier) are skipped, or kept as `tie: true` pairs for losses that use them;
 * - "all bad" records give only gold pairs; feedback records give none.
 * Pairs with identical chosen and rejected content are dropped (two seeds can sample the same text), and duplicates
 * (same prompt, chosen, rejected — in either order for ties) are kept once.
 */
import type { Candidate, ChatMessage, ComparisonEvent, PreferenceRecord, PromptData, SourceContext } from './schema.js';

export interface PairSide {
  text: string;
  messages?: ChatMessage[];
  model?: string;
  variant?: string;
  /** The candidate it came from, or 'gold'. */
  candidate: string;
}

export interface PreferencePair {
  recordId: string;
  prompt: PromptData;
  chosen: PairSide;
  rejected: PairSide;
  source: 'ranking' | 'gold';
  /** Chosen and rejected were judged equally good: no preference direction. */
  tie: boolean;
  createdAt: string;
  context?: SourceContext;
  extra?: Record<string, unknown>;
}

export interface PairOptions {
  /** skip (default): ties give no pair; keep: one `tie: true` pair per tied couple. */
  ties?: 'skip' | 'keep';
}

export interface DerivedPairs {
  pairs: PreferencePair[];
  /** Pairs dropped because an earlier one had the same prompt, chosen and rejected. */
  duplicates: number;
  /** Pairs dropped because chosen and rejected had the same content. */
  identical: number;
}

const side = (c: Candidate): PairSide => ({
  text: c.text,
  ...(c.messages ? { messages: c.messages } : {}),
  ...(c.model !== undefined ? { model: c.model } : {}),
  ...(c.variant !== undefined ? { variant: c.variant } : {}),
  candidate: c.id,
});

const content = (s: PairSide): string => JSON.stringify(s.messages ?? s.text);

/** Levels of a ranking, best first: first tier, unplaced candidates, later tiers. `tied` marks user-declared ties. */
export function rankingLevels(r: ComparisonEvent): Array<{ ids: string[]; tied: boolean }> {
  const placed = new Set(r.ranking.flat());
  const unplaced = r.candidates.map((c) => c.id).filter((id) => !placed.has(id));
  const [first = [], ...rest] = r.ranking;
  return [{ ids: first, tied: true }, { ids: unplaced, tied: false }, ...rest.map((ids) => ({ ids, tied: true }))].filter((l) => l.ids.length > 0);
}

function comparisonPairs(r: ComparisonEvent, ties: 'skip' | 'keep'): PreferencePair[] {
  const out: PreferencePair[] = [];
  const byId = new Map(r.candidates.map((c) => [c.id, c]));
  const base = { recordId: r.id, prompt: r.prompt, createdAt: r.createdAt, ...(r.context ? { context: r.context } : {}), ...(r.extra ? { extra: r.extra } : {}) };
  // Only a ranked record says anything: with nothing placed, the unplaced group is not "better" than anyone.
  if (!r.allBad && r.ranking.some((t) => t.length > 0)) {
    const levels = rankingLevels(r);
    const [top, ...lower] = levels;
    for (const b of top.ids) {
      for (const level of lower) {
        for (const w of level.ids) out.push({ ...base, chosen: side(byId.get(b)!), rejected: side(byId.get(w)!), source: 'ranking', tie: false });
      }
    }
    if (ties === 'keep') {
      for (const level of levels.filter((l) => l.tied)) {
        for (let i = 0; i < level.ids.length; i++) {
          for (let j = i + 1; j < level.ids.length; j++) {
            out.push({ ...base, chosen: side(byId.get(level.ids[i])!), rejected: side(byId.get(level.ids[j])!), source: 'ranking', tie: true });
          }
        }
      }
    }
  }
  if (r.gold) {
    const gold: PairSide = { text: r.gold.text, ...(r.gold.messages ? { messages: r.gold.messages } : {}), candidate: 'gold' };
    for (const c of r.candidates) out.push({ ...base, chosen: gold, rejected: side(c), source: 'gold', tie: false });
  }
  return out;
}

export function derivePairs(records: readonly PreferenceRecord[], opts: PairOptions = {}): DerivedPairs {
  const ties = opts.ties ?? 'skip';
  const seen = new Set<string>();
  const pairs: PreferencePair[] = [];
  let duplicates = 0;
  let identical = 0;
  for (const r of records) {
    if (r.kind !== 'comparison') continue;
    for (const p of comparisonPairs(r, ties)) {
      const a = content(p.chosen);
      const b = content(p.rejected);
      if (a === b) {
        identical++;
        continue;
      }
      const key = JSON.stringify([p.prompt.messages ?? null, p.prompt.text ?? null, ...(p.tie && b < a ? [b, a] : [a, b]), p.tie]);
      if (seen.has(key)) {
        duplicates++;
        continue;
      }
      seen.add(key);
      pairs.push(p);
    }
  }
  return { pairs, duplicates, identical };
}
