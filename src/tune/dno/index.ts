// DNO (Direct Nash Optimization) iterations on top of the engine's preference training and llama.cpp's sampling:
// the loop, its pair rules and replay mix, and the oracles that rank samples (a judge model, a command; the host
// adds the user's own rankings through the same DnoOracle interface).
export { DnoError } from './DnoError.js';
export type { DnoOracle } from './DnoOracle.js';
export {
  dnoPairFor, dnoPairRules, dnoPairs, replayPairs, REPLAY_SHARE,
  type DnoCandidate, type DnoPair, type DnoPairRules, type ScoreRange, type SkipReason,
} from './dnoPairs.js';
export { commandOracle, COMMAND_SCORE_RANGE } from './commandOracle.js';
export { judgeModelOracle, scorePrompt, DEFAULT_SCORE_RUBRIC, JUDGE_SCORES } from './judgeModelOracle.js';
export {
  runDno, readDnoHistory, DEFAULT_DNO, HISTORY_FILE,
  type DnoHistory, type DnoIterationRecord, type DnoProgress, type DnoRunOptions, type DnoSettings, type DnoTrainer,
  type DnoTrainRequest, type DnoTrainResult,
} from './runDno.js';
export { storeRankingOracle, storeGoldAnswers, rankingScores } from './storeRankingOracle.js';
