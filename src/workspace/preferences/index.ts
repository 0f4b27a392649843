// The preference store (`<data>/preferences.jsonl`) and everything derived from it. No vscode here.
//
//   const store = await PreferenceStore.openInDataDir(data);   // repairs a torn tail; store.recovery says what moved
//   await store.addComparison({ prompt, candidates, ranking: [[best]], context });
//   const { records, problems } = await store.read();           // problems: per-line, 1-based
//   const { pairs } = derivePairs(records, { ties: 'skip' });
//   formatPairs(pairs, { format: 'trl' }).text;                  // TRL JSONL (standard or conversational)
export { PreferenceStore, type NewRecord, type RecoveryReport, type StoreSnapshot } from './PreferenceStore.js';
export { PreferenceStoreError } from './PreferenceStoreError.js';
export { withFileLock, type FileLockOptions, type LockHolder } from './FileLock.js';
export { foldEvents, type LineProblem, type RecordState } from './foldEvents.js';
export { derivePairs, rankingLevels, type PreferencePair, type PairSide, type PairOptions, type DerivedPairs } from './derivePairs.js';
export { formatPairs, EXPORT_FORMATS, type ExportFormat, type FormattedPairs } from './formatPairs.js';
export { importTrl, type ImportResult } from './importTrl.js';
export { preferenceStats, type PreferenceStats } from './preferenceStats.js';
export { trlRowToComparison, pairToTrlRow, type TrlShape, type TrlRow } from './trlFormat.js';
export { csvField, csvRow } from './csv.js';
export * from './schema.js';
