import { throwIfAborted } from '../../engine/errors.js';
import { PreferenceStore, rankingLevels, type ComparisonEvent, type PreferenceRecord } from '../../workspace/preferences/index.js';
import { DnoError } from './DnoError.js';
import type { DnoOracle } from './DnoOracle.js';

/** The prompt text a record was labelled on: its exact text, or its last user turn. */
function promptText(r: PreferenceRecord): string | undefined {
  return r.prompt.text ?? [...(r.prompt.messages ?? [])].reverse().find((m) => m.role === 'user')?.content;
}

/**
 * Scores of a comparison's candidates from the user's ranking, in 0–1: the best level 1, the last 0, evenly between
 * (levels as derivePairs reads them: first tier, unplaced, later tiers); "all bad" gives 0 to all; the user's gold
 * (edited) answer scores 1. A record with nothing ranked and not "all bad" says nothing: no scores.
 */
export function rankingScores(r: ComparisonEvent): Map<string, number> {
  const out = new Map<string, number>();
  if (r.allBad) {
    for (const c of r.candidates) out.set(c.text, 0);
  } else if (r.ranking.some((t) => t.length > 0)) {
    const levels = rankingLevels(r);
    const byId = new Map(r.candidates.map((c) => [c.id, c.text]));
    levels.forEach((l, i) => {
      for (const id of l.ids) out.set(byId.get(id)!, levels.length === 1 ? 1 : 1 - i / (levels.length - 1));
    });
  }
  if (r.gold) out.set(r.gold.text, 1);
  return out;
}

/**
 * The user's own rankings as the oracle (the host's flow: the samples go to the Label panel, the user ranks them,
 * and the comparisons land in the preference store). For each prompt the latest comparison on that prompt whose
 * candidates include every answer to score is read; answers nobody ranked stop the run with a one-line error.
 */
export function storeRankingOracle(storeFile: string): DnoOracle {
  return {
    name: 'your rankings',
    range: { min: 0, max: 1 },
    async score(prompt, candidates, signal) {
      throwIfAborted(signal);
      const store = await PreferenceStore.open(storeFile);
      const { records } = await store.read();
      for (let i = records.length - 1; i >= 0; i--) {
        const r = records[i]!;
        if (r.kind !== 'comparison' || promptText(r) !== prompt) continue;
        const scores = rankingScores(r);
        if (candidates.every((c) => scores.has(c))) return candidates.map((c) => scores.get(c)!);
      }
      throw new DnoError('DNO_JUDGE', `no ranking in ${storeFile} covers the ${candidates.length} answers to the prompt "${prompt.slice(0, 40)}…": rank them in the Label panel first`);
    },
  };
}

/** Gold answers (the user's edits) in the store, by prompt text: DNO adds them to every iteration's candidates. */
export async function storeGoldAnswers(storeFile: string): Promise<Map<string, string[]>> {
  const store = await PreferenceStore.open(storeFile);
  const out = new Map<string, string[]>();
  for (const r of (await store.read()).records) {
    const p = promptText(r);
    if (r.kind !== 'comparison' || !r.gold || p === undefined) continue;
    out.set(p, [...new Set([...(out.get(p) ?? []), r.gold.text])]);
  }
  return out;
}
