import type { ScoreRange } from './dnoPairs.js';

/**
 * What ranks an iteration's candidates: a local judge model, a command, or the user's own rankings (the host plugs
 * that one in). It sees all candidates of a prompt together and returns one score each, higher = better, within
 * `range` (the pair rules scale with it).
 */
export interface DnoOracle {
  /** For logs and the history file, e.g. "judge judge.gguf" or "command ./check.sh". */
  readonly name: string;
  readonly range: ScoreRange;
  score(prompt: string, candidates: string[], signal?: AbortSignal): Promise<number[]>;
}
