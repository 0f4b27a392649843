// JSON-RPC contract between the job process (src/jobs/main.ts: long CPU work on the engine) and its callers
// (JobClient / JobService in the host, tests), and the job record kept on disk in `runs/<id>/job.json`. Types only.
// One `jobs/run` request = one job of a registered kind (src/jobs/kinds/): it resolves with the kind's result, is
// cancelled through JSON-RPC cancellation, and streams `jobs/progress` notifications tagged with the caller's jobId.
// Errors come back as JSON-RPC errors whose `data` is an RpcErrorData (src/protocol/rpc.ts).

/** Where a job is. `crashed`: its process died, or the window closed, while it ran; it can be resumed. */
export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'crashed';

/** States a job can be resumed from (its run folder keeps the last checkpoint). */
export const RESUMABLE_STATES: readonly JobState[] = ['crashed', 'cancelled', 'failed'];

// ---- jobs/progress (notification, child → parent) ------------------------------------------------------------
export interface JobProgress {
  jobId: string;
  /** What the job is doing now, in a word or two: 'tokenizing', 'training', 'saving'. */
  phase: string;
  /** 0…1 over the whole job. */
  fraction: number;
  tokensPerSec?: number;
  /** Seconds left, estimated. */
  etaSec?: number;
  step?: number;
  steps?: number;
  loss?: number;
  heldOutLoss?: number;
}

// ---- jobs/log (notification, child → parent): a line for the job's log file -----------------------------------
export interface JobLogLine {
  jobId: string;
  line: string;
}

// ---- jobs/run -------------------------------------------------------------------------------------------------
export interface RunJobParams {
  /** Chosen by the caller; progress notifications carry it. */
  jobId: string;
  /** A kind registered in src/jobs/kinds/index.ts. */
  kind: string;
  /** runs/<id>/: where the job keeps its checkpoints and outputs; a job started again here resumes. */
  runDir: string;
  /** The kind's own parameters (JSON). */
  params: unknown;
}

export interface JobRequests {
  'jobs/run': { params: RunJobParams; result: unknown };
  /** The kinds this job process can run. */
  'jobs/kinds': { params: Record<string, never>; result: string[] };
}

export interface JobNotifications {
  'jobs/progress': JobProgress;
  'jobs/log': JobLogLine;
}

// ---- runs/<id>/job.json ---------------------------------------------------------------------------------------
export interface JobRecord {
  /** The run folder's name (runs/<id>/). */
  id: string;
  kind: string;
  /** For people: 'Train demo-sized model (quick)'. */
  title: string;
  params: unknown;
  state: JobState;
  runDir: string;
  /** ISO times. */
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  /** How many times it was started (1 + resumes). */
  attempts: number;
  /** The job process that runs it (to tell a job another window runs from one that was interrupted). */
  pid?: number;
  progress?: JobProgress;
  /** The kind's result when done; `outputPath` in it is what "Open Result" opens. */
  result?: unknown;
  /** Why it failed, crashed or was cancelled: a stable code and one line. */
  error?: { code: string; message: string };
}

export const JOB_FILE = 'job.json';
export const JOB_LOG_FILE = 'job.log';
