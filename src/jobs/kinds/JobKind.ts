import type { JobProgress } from '../../protocol/jobs.js';

/** What the job process gives a running job. */
export interface JobContext {
  /** runs/<id>/: the job's checkpoints and outputs. A job started again in the same folder resumes from them. */
  runDir: string;
  /** Fires on cancel; the job stops within one step (saving a checkpoint first when it has one). */
  signal: AbortSignal;
  progress(p: Omit<JobProgress, 'jobId'>): void;
  /** A line for the job's log file (runs/<id>/job.log). */
  log(line: string): void;
}

/**
 * A kind of long job (train, prune, tune, eval…): one file per kind in src/jobs/kinds/, registered by name in
 * index.ts. `run` must honour `signal` between steps and be resumable: started again with the same params and
 * run folder after a crash or a cancel, it continues from its last checkpoint and ends with the same result as a
 * run that was never interrupted. Params and result are JSON.
 */
export interface JobKind<P, R> {
  run(params: P, ctx: JobContext): Promise<R>;
}

/** Types a kind's params and result once, where it is defined (the registry and the host infer them from it). */
export const defineJobKind = <P, R>(kind: JobKind<P, R>): JobKind<P, R> => kind;
