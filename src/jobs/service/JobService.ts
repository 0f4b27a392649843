// The job service: a queue of long jobs (one CPU-heavy job at a time by default) run in the job process, each with
// a record on disk (runs/<id>/job.json) and a log (runs/<id>/job.log). List, status, cancel, resume; progress as
// events. Jobs outlive the panel that started them; a job the last window left running (closed, reloaded, crashed)
// is marked crashed at the next start and offered for resume. No vscode import: the host and tests use it.
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { AbortedError, ModelLabError } from '../../engine/errors.js';
import { ProcessCrashedError } from '../../process/errors.js';
import { JOB_LOG_FILE, RESUMABLE_STATES, type JobProgress, type JobRecord } from '../../protocol/jobs.js';
import { createRunFolder } from '../../workspace/index.js';
import type { JobKindName, JobParams } from '../kinds/index.js';
import { readJobRecords, writeJobRecord } from './jobRecordFile.js';

/** What the service needs of the job process (JobClient; tests of the host may pass a stand-in). */
export interface JobRunner {
  run(jobId: string, kind: string, runDir: string, params: unknown, opts: { signal?: AbortSignal; onProgress?: (p: JobProgress) => void; onLog?: (line: string) => void }): Promise<unknown>;
  readonly pid: number | undefined;
}

export interface JobServiceOptions {
  runner: JobRunner;
  /** The data folder (`.model-lab/`); null when there is none (no trusted folder open). */
  dataDirectory: () => string | null;
  /** Jobs run at the same time (default 1: every kind is CPU-heavy). */
  maxConcurrent?: number;
  /** The service's own log (the host's output channel). */
  log?: (line: string) => void;
}

export class JobServiceError extends ModelLabError {
  override name = 'JobServiceError';
}

export type JobListener = (record: JobRecord | null) => void;

export class JobService {
  private readonly records = new Map<string, JobRecord>();
  private readonly queue: string[] = [];
  private readonly running = new Map<string, AbortController>();
  private readonly waiters = new Map<string, Array<(r: JobRecord) => void>>();
  private readonly writes = new Map<string, Promise<void>>();
  private readonly listeners = new Set<JobListener>();
  private disposed = false;

  constructor(private readonly opts: JobServiceOptions) {}

  /** Called on any change; the record that changed, or null for the whole list. Returns an unsubscribe. */
  onDidChange(listener: JobListener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private emit(record: JobRecord | null): void {
    for (const l of [...this.listeners]) l(record);
  }

  /**
   * Reads the job records of the data folder. Jobs recorded as queued or running that no live process runs were
   * interrupted (the window closed or the job process died with it): they become `crashed`, and are returned so
   * the caller can offer to resume them.
   */
  async load(): Promise<JobRecord[]> {
    const data = this.opts.dataDirectory();
    if (!data) return [];
    const interrupted: JobRecord[] = [];
    for (const r of readJobRecords(data, (m) => this.opts.log?.(`[jobs] ${m}`))) {
      if (this.records.has(r.id)) continue;
      if ((r.state === 'running' || r.state === 'queued') && !(r.pid !== undefined && r.pid !== this.opts.runner.pid && alive(r.pid))) {
        r.state = 'crashed';
        r.error = { code: 'JOB_INTERRUPTED', message: 'The job stopped when its window closed or its process ended; resume it to continue from its last checkpoint.' };
        this.persist(r);
        this.appendLog(r, 'interrupted: found unfinished at start-up');
        interrupted.push(r);
      }
      this.records.set(r.id, r);
    }
    this.emit(null);
    return interrupted;
  }

  /** Every job, newest first. */
  list(): JobRecord[] {
    return [...this.records.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  }

  get(id: string): JobRecord | undefined {
    return this.records.get(id);
  }

  /** The jobs running now. */
  active(): JobRecord[] {
    return [...this.running.keys()].map((id) => this.records.get(id)!).filter(Boolean);
  }

  logPath(id: string): string {
    return path.join(this.need(id).runDir, JOB_LOG_FILE);
  }

  /** Queues a job in a new run folder (`<data>/runs/<kind>-<time>-<hex>/`). */
  async start<K extends JobKindName>(kind: K, params: JobParams<K>, title: string): Promise<JobRecord> {
    const data = this.opts.dataDirectory();
    if (!data) throw new JobServiceError('JOB_NO_DATA_FOLDER', 'Jobs keep their files in the workspace data folder (.model-lab); open a trusted folder first.');
    const { id, dir } = await createRunFolder(data, kind);
    const record: JobRecord = { id, kind, title, params, state: 'queued', runDir: dir, createdAt: new Date().toISOString(), attempts: 0 };
    this.records.set(id, record);
    this.enqueue(record, `queued: ${title}`);
    return record;
  }

  /** Queues a crashed, cancelled or failed job again; it continues from its run folder's last checkpoint. */
  resume(id: string): JobRecord {
    const r = this.need(id);
    if (!RESUMABLE_STATES.includes(r.state)) throw new JobServiceError('JOB_NOT_RESUMABLE', `Job ${r.title} is ${r.state}; only a crashed, cancelled or failed job can be resumed.`);
    r.error = undefined;
    r.endedAt = undefined;
    r.state = 'queued';
    this.enqueue(r, 'queued again (resume)');
    return r;
  }

  /** Cancels a queued job, or asks a running one to stop (it stops within one step). False when it has ended. */
  cancel(id: string): boolean {
    const r = this.need(id);
    const qi = this.queue.indexOf(id);
    if (qi >= 0) {
      this.queue.splice(qi, 1);
      this.finish(r, 'cancelled', { code: 'ABORTED', message: 'Cancelled before it started.' });
      return true;
    }
    const ac = this.running.get(id);
    if (!ac) return false;
    this.appendLog(r, 'cancel requested');
    ac.abort();
    return true;
  }

  /** Resolves when the job has ended (done, failed, cancelled or crashed). */
  whenSettled(id: string): Promise<JobRecord> {
    const r = this.need(id);
    if (!this.queue.includes(id) && !this.running.has(id)) return Promise.resolve(r);
    return new Promise((resolve) => this.waiters.set(id, [...(this.waiters.get(id) ?? []), resolve]));
  }

  private need(id: string): JobRecord {
    const r = this.records.get(id);
    if (!r) throw new JobServiceError('JOB_NOT_FOUND', `No job ${id} in this data folder.`);
    return r;
  }

  private enqueue(r: JobRecord, why: string): void {
    this.queue.push(r.id);
    this.persist(r);
    this.appendLog(r, why);
    this.emit(r);
    this.pump();
  }

  private pump(): void {
    const max = this.opts.maxConcurrent ?? 1;
    while (!this.disposed && this.running.size < max && this.queue.length > 0) void this.runJob(this.queue.shift()!);
  }

  private async runJob(id: string): Promise<void> {
    const r = this.records.get(id)!;
    const ac = new AbortController();
    this.running.set(id, ac);
    r.state = 'running';
    r.startedAt = new Date().toISOString();
    r.attempts++;
    r.progress = undefined;
    r.pid = this.opts.runner.pid;
    this.persist(r);
    this.appendLog(r, `started (attempt ${r.attempts})`);
    this.emit(r);
    let state: JobRecord['state'] = 'done';
    let error: JobRecord['error'];
    try {
      r.result = await this.opts.runner.run(r.id, r.kind, r.runDir, r.params, {
        signal: ac.signal,
        onProgress: (p) => {
          if (r.pid === undefined) {
            r.pid = this.opts.runner.pid;
            this.persist(r);
          }
          r.progress = p;
          this.emit(r);
        },
        onLog: (line) => this.appendLog(r, line),
      });
    } catch (err) {
      const e = err as { code?: string; message?: string };
      error = { code: e.code ?? 'INTERNAL', message: (e.message ?? String(err)).split('\n')[0]! };
      state = err instanceof AbortedError || e.code === 'ABORTED' ? 'cancelled' : err instanceof ProcessCrashedError ? 'crashed' : 'failed';
    }
    this.running.delete(id);
    if (this.disposed) return; // the window is closing: the record stays 'running' and is offered for resume
    this.finish(r, state, error);
    this.pump();
  }

  private finish(r: JobRecord, state: JobRecord['state'], error?: JobRecord['error']): void {
    r.state = state;
    r.error = error;
    r.endedAt = new Date().toISOString();
    this.persist(r);
    this.appendLog(r, `${state}${error ? `: ${error.code}: ${error.message}` : ''}`);
    this.opts.log?.(`[jobs] ${r.title} (${r.id}) ${state}${error ? `: ${error.message}` : ''}`);
    this.emit(r);
    const w = this.waiters.get(r.id) ?? [];
    this.waiters.delete(r.id);
    for (const resolve of w) resolve(r);
  }

  /** Writes job.json; writes of one job go in order (each is atomic), and a failed write is logged, not thrown. */
  private persist(r: JobRecord): void {
    const snapshot: JobRecord = JSON.parse(JSON.stringify(r));
    const prev = this.writes.get(r.id) ?? Promise.resolve();
    const next = prev.then(() => writeJobRecord(snapshot)).catch((err) => this.opts.log?.(`[jobs] could not write the record of ${r.id}: ${(err as Error).message}`));
    this.writes.set(r.id, next);
  }

  /** Resolves once every record write so far is on disk. */
  async flush(): Promise<void> {
    await Promise.all([...this.writes.values()]);
  }

  /** A line the job process printed (stdout/stderr) or its client logged: it goes into every running job's log. */
  processLog(line: string): void {
    for (const id of this.running.keys()) this.appendLog(this.records.get(id)!, `[process] ${line}`);
  }

  private appendLog(r: JobRecord, line: string): void {
    try {
      appendFileSync(path.join(r.runDir, JOB_LOG_FILE), `${new Date().toISOString()} ${line}\n`);
    } catch {
      // the run folder was deleted under us: the record says what happened
    }
  }

  /** Stops taking work. Running jobs are left as they are on disk ('running'): the next start offers to resume them. */
  dispose(): void {
    this.disposed = true;
    this.queue.length = 0;
    this.listeners.clear();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
