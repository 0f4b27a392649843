// Every job kind the job process runs, by name. Adding a kind is one line here (its params and result types come
// from its file). Callers outside the job process import these names and types with `import type` only, so the
// engine code of the kinds stays out of the extension host's bundle.
import type { JobKind } from './JobKind.js';
import { pruneJob } from './prune.js';
import { scoreJob } from './score.js';
import { trainJob } from './train.js';
import { tuneJob } from './tune.js';

export const JOB_KINDS = {
  train: trainJob,
  prune: pruneJob,
  score: scoreJob,
  tune: tuneJob,
} satisfies Record<string, JobKind<never, unknown>>;

export type JobKindName = keyof typeof JOB_KINDS;
export type JobParams<K extends JobKindName> = (typeof JOB_KINDS)[K] extends JobKind<infer P, unknown> ? P : never;
export type JobResult<K extends JobKindName> = (typeof JOB_KINDS)[K] extends JobKind<never, infer R> ? R : never;
