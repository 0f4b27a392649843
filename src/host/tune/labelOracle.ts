import { throwIfAborted } from '../../engine/errors.js';
import type { DnoOracle } from '../../tune/dno/index.js';
import type { LabelDecision } from '../../protocol/webviewLabel.js';
import type { RankingTask } from '../label/LabelPanel.js';

/** Asks the user to rank one prompt's candidates (the Label panel): their decision, or null when skipped. */
export type RankInLabel = (task: RankingTask, signal?: AbortSignal) => Promise<LabelDecision | null>;

/**
 * Scores in [0, 1] from a Label decision on candidates c1…cN, best first by the store's own reading of a ranking:
 * the first tier, then the unplaced candidates, then the later tiers, evenly spaced from 1 down to 0. All bad, or
 * nothing ranked, scores every candidate 0 (DNO then makes no pair of that prompt).
 */
export function scoresFromDecision(d: LabelDecision | null, n: number): number[] {
  const ids = Array.from({ length: n }, (_, i) => `c${i + 1}`);
  if (!d || d.allBad || !d.ranking.some((t) => t.length > 0)) return ids.map(() => 0);
  const placed = new Set(d.ranking.flat());
  const [first = [], ...rest] = d.ranking;
  const levels = [first, ids.filter((id) => !placed.has(id)), ...rest].filter((l) => l.length > 0);
  const score = new Map<string, number>();
  levels.forEach((l, k) => { for (const id of l) score.set(id, levels.length > 1 ? 1 - k / (levels.length - 1) : 1); });
  return ids.map((id) => score.get(id) ?? 0);
}

/**
 * DNO's oracle "me": each prompt's candidates open in the Label panel as one comparison; the iteration waits until
 * the user saves it (the comparison lands in the preference store as any other, origin 'dno'). Scores as
 * scoresFromDecision, on the range [0, 1] (DNO's rules: the best at 1, the worst at least 0.2 below it).
 */
export function labelOracle(rank: RankInLabel, o: Omit<RankingTask, 'prompt' | 'candidates' | 'origin'>): DnoOracle {
  return {
    name: 'me (Label panel)',
    range: { min: 0, max: 1 },
    async score(prompt, candidates, signal) {
      throwIfAborted(signal);
      const decision = await rank({ ...o, prompt, candidates, origin: 'dno' }, signal);
      throwIfAborted(signal);
      return scoresFromDecision(decision, candidates.length);
    },
  };
}
