import { shuffledOrder } from '../../engine/train/shuffledOrder.js';

/** One answer to a prompt, as the oracle saw it: a sample of the current policy, or a gold answer (a user's edit). */
export interface DnoCandidate { text: string; source: 'sample' | 'gold'; score: number }

/** A preference pair an iteration made, with the scores that made it (pairs files carry them as extra fields). */
export interface DnoPair {
  prompt: string;
  chosen: string;
  rejected: string;
  /** The iteration whose candidates made it (0: seed pairs given by the user). */
  iteration: number;
  chosenScore?: number;
  rejectedScore?: number;
  chosenSource?: 'sample' | 'gold';
}

/** The score range an oracle gives (a rubric of 1–6, a command's 0–1). */
export interface ScoreRange { min: number; max: number }

/**
 * DNO's pair rules on one prompt's candidates: the positive must score at least `minPositive`; the negative at least
 * `marginGold` below it when the positive is a gold answer, `marginSample` below when it is the policy's own sample.
 */
export interface DnoPairRules { minPositive: number; marginGold: number; marginSample: number }

/**
 * The paper's rules scaled to the oracle's range: on its 6-point rubric the positive scores ≥ 5 (80 % of the way
 * up), the negative 2 points lower (40 % of the range) for a gold positive and 1 point (20 %) for the model's own
 * sample. `margin` (the CLI's --margin) replaces the own-sample margin and the gold margin becomes twice it.
 */
export function dnoPairRules(range: ScoreRange, margin?: number): DnoPairRules {
  const span = range.max - range.min;
  const sample = margin ?? 0.2 * span;
  return { minPositive: range.min + 0.8 * span, marginGold: 2 * sample, marginSample: sample };
}

export type SkipReason = 'low' | 'tie' | 'margin';

/**
 * At most one pair per prompt: the highest-scoring candidate against the lowest. Among equal scores the policy's
 * own sample is preferred as the positive (on-policy pairs, where the model beats the gold answer, are what helped
 * most in the paper) and as the negative, then the earlier candidate. Ties and pairs that break the rules are skipped.
 */
export function dnoPairFor(prompt: string, candidates: DnoCandidate[], rules: DnoPairRules, iteration: number):
  { pair: DnoPair } | { skipped: SkipReason } {
  if (candidates.length < 2) return { skipped: 'tie' };
  const own = (c: DnoCandidate): number => (c.source === 'sample' ? 1 : 0);
  let pos = candidates[0]!, neg = candidates[0]!;
  for (const c of candidates.slice(1)) {
    if (c.score > pos.score || (c.score === pos.score && own(c) > own(pos))) pos = c;
    if (c.score < neg.score || (c.score === neg.score && own(c) > own(neg))) neg = c;
  }
  if (!(pos.score > neg.score) || pos.text === neg.text) return { skipped: 'tie' };
  if (pos.score < rules.minPositive) return { skipped: 'low' };
  if (pos.score - neg.score < (pos.source === 'gold' ? rules.marginGold : rules.marginSample)) return { skipped: 'margin' };
  return { pair: { prompt, chosen: pos.text, rejected: neg.text, iteration, chosenScore: pos.score, rejectedScore: neg.score, chosenSource: pos.source } };
}

/** The pairs of an iteration and how many prompts were skipped, by reason. */
export function dnoPairs(scored: Array<{ prompt: string; candidates: DnoCandidate[] }>, rules: DnoPairRules, iteration: number):
  { pairs: DnoPair[]; skipped: Record<SkipReason, number> } {
  const skipped: Record<SkipReason, number> = { low: 0, tie: 0, margin: 0 };
  const pairs: DnoPair[] = [];
  for (const s of scored) {
    const r = dnoPairFor(s.prompt, s.candidates, rules, iteration);
    if ('pair' in r) pairs.push(r.pair);
    else skipped[r.skipped]++;
  }
  return { pairs, skipped };
}

/** Share of the new pairs' count replayed from the previous iteration; each earlier iteration gives half the one after. */
export const REPLAY_SHARE = 0.3;

/**
 * Earlier pairs mixed into iteration t: from t−1 up to round(share·n) pairs (n = the iteration's new pairs), from
 * t−2 half that, and so on, halving; drawn without replacement, fixed by the seed and the iteration.
 * `earlier[0]` is iteration t−1's pairs, `earlier[1]` t−2's, ….
 */
export function replayPairs(earlier: DnoPair[][], newPairs: number, seed: number, iteration: number, share = REPLAY_SHARE): DnoPair[] {
  const out: DnoPair[] = [];
  earlier.forEach((pool, j) => {
    const want = Math.min(pool.length, Math.round(share * newPairs / 2 ** j));
    if (want <= 0) return;
    const order = shuffledOrder(pool.length, seed, iteration * 1000 + j);
    for (let i = 0; i < want; i++) out.push(pool[order[i]!]!);
  });
  return out;
}
