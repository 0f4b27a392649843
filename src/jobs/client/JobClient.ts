// Client of the job process: the shared process stack (src/process) with the jobs method map. Progress and log
// notifications go to per-job callbacks. No vscode import: the host and tests both use it. A crashed job process
// rejects its pending jobs with JobCrashedError and restarts with backoff; a job started again with the same run
// folder resumes from its last checkpoint.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelLabError } from '../../engine/errors.js';
import { ProcessCrashedError } from '../../process/errors.js';
import { ProcessClient } from '../../process/ProcessClient.js';
import type { Disposable, ProcessClientEvents, ProcessLogLine, ProcessState, RestartOptions } from '../../process/ProcessClientOptions.js';
import type { JobLogLine, JobProgress, JobRequests } from '../../protocol/jobs.js';
import type { JobKindName, JobParams, JobResult } from '../kinds/index.js';

export class JobCrashedError extends ProcessCrashedError {
  override name = 'JobCrashedError';
  constructor(exitCode: number | null, signal: string | null, lastLog: string[] = []) {
    super('JOB_CRASHED', 'The job process', exitCode, signal, lastLog, 'resume the job to continue from its last checkpoint');
  }
}

export class JobProcessUnavailableError extends ModelLabError {
  override name = 'JobProcessUnavailableError';
  constructor(message: string) {
    super('JOB_PROCESS_UNAVAILABLE', message);
  }
}

export interface JobClientOptions {
  /** The job process script: dist/jobs.js when bundled; a .ts entry (src/jobs/main.ts) runs under tsx. */
  entry?: string;
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  restart?: RestartOptions;
  /** Append the process's log (its stdout/stderr among it) to this file. */
  logFile?: string;
}

export interface RunJobOptions {
  signal?: AbortSignal;
  onProgress?: (p: JobProgress) => void;
  onLog?: (line: string) => void;
}

/** Folder of this module: src/jobs/client under tsx, the bundle's folder (dist/) when bundled. */
function moduleDir(): string {
  // CommonJS bundle (the extension host): esbuild leaves import.meta empty there.
  if (typeof __dirname === 'string') return __dirname;
  return path.dirname(fileURLToPath(import.meta.url));
}

/** dist/jobs.js beside the bundle, else the source entry (tests under tsx). */
export function defaultJobsEntry(): string {
  const here = moduleDir();
  const candidates = [path.join(here, 'jobs.js'), path.join(here, '..', 'main.ts')];
  return candidates.find((c) => existsSync(c)) ?? candidates[0]!;
}

export class JobClient {
  private readonly proc: ProcessClient<JobRequests>;
  private readonly progress = new Map<string, (p: JobProgress) => void>();
  private readonly logs = new Map<string, (line: string) => void>();

  constructor(opts: JobClientOptions = {}) {
    this.proc = new ProcessClient<JobRequests>({
      label: 'job process',
      title: 'The job process',
      entry: opts.entry ?? defaultJobsEntry(),
      execArgv: opts.execArgv,
      env: opts.env,
      restart: opts.restart,
      logFile: opts.logFile,
      crashError: (code, signal, lastLog) => new JobCrashedError(code, signal, lastLog),
      unavailableError: (m) => new JobProcessUnavailableError(m),
      giveUpAdvice: 'open the job log, then reload the window',
      onConnection: (connection) => {
        connection.onNotification('jobs/progress', (p: JobProgress) => this.progress.get(p.jobId)?.(p));
        connection.onNotification('jobs/log', (l: JobLogLine) => this.logs.get(l.jobId)?.(l.line));
      },
    });
  }

  /** The job process id while it runs (tests kill it to check crash handling). */
  get pid(): number | undefined {
    return this.proc.pid;
  }
  get state(): ProcessState {
    return this.proc.state;
  }
  get recentLog(): readonly ProcessLogLine[] {
    return this.proc.recentLog;
  }

  on<K extends keyof ProcessClientEvents>(event: K, listener: (...args: ProcessClientEvents[K]) => void): Disposable {
    return this.proc.on(event, listener);
  }

  /** Every log line of the process (its stdout/stderr, starts, crashes), as text. */
  onLog(listener: (line: string) => void): Disposable {
    return this.proc.on('log', (l) => listener(`${l.level}: ${l.message}`));
  }

  /**
   * Runs one job of `kind` in the job process (started if needed). Aborting `signal` cancels it: the job stops
   * within one step, keeps its checkpoint, and this rejects with AbortedError (code ABORTED).
   */
  async run<K extends JobKindName>(jobId: string, kind: K, runDir: string, params: JobParams<K>, opts: RunJobOptions = {}): Promise<JobResult<K>> {
    if (opts.onProgress) this.progress.set(jobId, opts.onProgress);
    if (opts.onLog) this.logs.set(jobId, opts.onLog);
    try {
      return (await this.proc.request('jobs/run', { jobId, kind, runDir, params }, opts.signal)) as JobResult<K>;
    } finally {
      this.progress.delete(jobId);
      this.logs.delete(jobId);
    }
  }

  /** Stops the job process (running jobs keep their last checkpoint). */
  dispose(): Promise<void> {
    return this.proc.dispose();
  }
}
