/**
 * The Label panel's ranking as tiers, best first, shared by the keys and by dragging. The keys say best (tier 0),
 * worst (the last tier) and ties; a drag places a candidate anywhere in between, which is how a full ranking of every
 * candidate is said. Either way the saved decision is the same `ranking` (LabelDecision: tiers, best first).
 */

/** The parts of the panel's draft a ranking is made of. */
export interface RankingParts {
  best: string[];
  /** tiers between best and worst, best first: only drags make them */
  middle: string[][];
  worst: string[];
}

/** Every candidate in ranking order, as tiers: best, the middle tiers, the unplaced (in panel order), worst. */
export function rankingTiers(d: RankingParts, ids: readonly string[]): string[][] {
  const placed = new Set([...d.best, ...d.middle.flat(), ...d.worst]);
  return [d.best, ...d.middle, ...ids.filter((id) => !placed.has(id)).map((id) => [id]), d.worst].filter((t) => t.length > 0);
}

/**
 * Moves `id` to the place of `target` in the tiers, as a tier of its own: before the target's tier when it moves up,
 * after it when it moves down (the others keep their ties). Dropped on itself, nothing changes.
 */
export function moveInTiers(tiers: readonly string[][], id: string, target: string): string[][] {
  const from = tiers.findIndex((t) => t.includes(id));
  const to = tiers.findIndex((t) => t.includes(target));
  if (from < 0 || to < 0 || id === target) return tiers.map((t) => [...t]);
  const rest = tiers.map((t) => t.filter((x) => x !== id));
  // the target's tier index once `id` has left (its tier may have emptied and gone)
  let at = rest.slice(0, to).filter((t) => t.length > 0).length;
  const kept = rest.filter((t) => t.length > 0);
  if (from < to || (from === to && tiers[from]!.indexOf(id) < tiers[from]!.indexOf(target))) at += 1;
  kept.splice(at, 0, [id]);
  return kept;
}

/** The draft a full ranking makes: the first tier best, the last worst, the rest between (one tier: best only). */
export function partsFromTiers(tiers: readonly string[][]): RankingParts {
  if (tiers.length === 0) return { best: [], middle: [], worst: [] };
  if (tiers.length === 1) return { best: [...tiers[0]!], middle: [], worst: [] };
  return { best: [...tiers[0]!], middle: tiers.slice(1, -1).map((t) => [...t]), worst: [...tiers[tiers.length - 1]!] };
}

/** The decision's ranking: best, the middle tiers, worst (an empty first tier: no best said). */
export function rankingOf(d: RankingParts): string[][] {
  return [d.best, ...d.middle, ...(d.worst.length ? [d.worst] : [])];
}

/** The draft parts of a saved ranking (rankingOf's inverse). */
export function partsFromRanking(ranking: readonly string[][]): RankingParts {
  const [best = [], ...rest] = ranking;
  return rest.length === 0 ? { best: [...best], middle: [], worst: [] } : { best: [...best], middle: rest.slice(0, -1).map((t) => [...t]), worst: [...rest[rest.length - 1]!] };
}

/** Takes `id` out of the middle tiers (the keys move it to best or worst, or unmark it). */
export function withoutInMiddle(middle: readonly string[][], id: string): string[][] {
  return middle.map((t) => t.filter((x) => x !== id)).filter((t) => t.length > 0);
}
