/** Figures about the data set: what the dataset view and `model-lab pairs stats` show. */
import { derivePairs } from './derivePairs.js';
import type { PreferenceRecord } from './schema.js';

export interface PreferenceStats {
  /** Comparison and feedback records (deleted ones not counted). */
  records: number;
  comparisons: number;
  feedback: { positive: number; negative: number };
  /** Training pairs with ties skipped (what `pairs export` writes). */
  pairs: number;
  /** Tied couples (pairs that `ties: keep` adds). */
  ties: number;
  /** Comparisons with at least one tie, over comparisons. */
  tieRate: number;
  allBad: number;
  withGold: number;
  duplicatePairs: number;
  /** Per candidate model: candidates shown, and times chosen as best. */
  perModel: Record<string, { candidates: number; best: number }>;
  /** Records created per UTC day (YYYY-MM-DD). */
  perDay: Record<string, number>;
}

export function preferenceStats(records: readonly PreferenceRecord[]): PreferenceStats {
  const skip = derivePairs(records, { ties: 'skip' });
  const keep = derivePairs(records, { ties: 'keep' });
  const s: PreferenceStats = {
    records: records.length,
    comparisons: 0,
    feedback: { positive: 0, negative: 0 },
    pairs: skip.pairs.length,
    ties: keep.pairs.filter((p) => p.tie).length,
    tieRate: 0,
    allBad: 0,
    withGold: 0,
    duplicatePairs: skip.duplicates,
    perModel: {},
    perDay: {},
  };
  let tied = 0;
  for (const r of records) {
    const day = r.createdAt.slice(0, 10);
    s.perDay[day] = (s.perDay[day] ?? 0) + 1;
    if (r.kind === 'feedback') {
      if (r.reward > 0) s.feedback.positive++;
      else s.feedback.negative++;
      continue;
    }
    s.comparisons++;
    if (r.allBad) s.allBad++;
    if (r.gold) s.withGold++;
    if (r.ranking.some((t) => t.length > 1)) tied++;
    const best = new Set(r.allBad ? [] : (r.ranking[0] ?? []));
    for (const c of r.candidates) {
      const m = (s.perModel[c.model ?? c.variant ?? 'unknown'] ??= { candidates: 0, best: 0 });
      m.candidates++;
      if (best.has(c.id)) m.best++;
    }
  }
  s.tieRate = s.comparisons > 0 ? tied / s.comparisons : 0;
  return s;
}
