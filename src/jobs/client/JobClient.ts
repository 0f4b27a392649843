// Client of the job process: forks it, speaks JSON-RPC over the IPC channel, turns AbortSignals into JSON-RPC
// cancellation and progress notifications into callbacks. No vscode import: the host and tests both use it.
// A crashed job process rejects its pending jobs with JobCrashedError; the next call starts a fresh process, and a
// training job started again with the same run folder resumes from its last checkpoint.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CancellationTokenSource,
  createMessageConnection,
  IPCMessageReader,
  IPCMessageWriter,
  ResponseError,
  type MessageConnection,
} from 'vscode-jsonrpc/node.js';
import { AbortedError, ModelLabError } from '../../engine/errors.js';
import { JOBS_PROGRESS, JOBS_TRAIN, type JobErrorData, type JobProgress, type TrainJobParams, type TrainJobResult } from '../../protocol/jobs.js';

export class JobCrashedError extends ModelLabError {
  override name = 'JobCrashedError';
  constructor(detail: string) {
    super('JOB_CRASHED', `The job process stopped unexpectedly (${detail}); start the job again to resume from its last checkpoint.`);
  }
}

/** An error the job process reported, with its original name and code. */
export class RemoteJobError extends ModelLabError {
  constructor(name: string, code: string, message: string) {
    super(code, message);
    this.name = name;
  }
}

export interface JobClientOptions {
  /** The job process script: dist/jobs.js when bundled; src/jobs/main.ts is run under tsx. */
  entry?: string;
  /** Extra arguments for node (e.g. ['--import', 'tsx'] for a .ts entry; added automatically). */
  execArgv?: string[];
}

/** Folder of this module: src/jobs/client under tsx, the bundle's folder (dist/) when bundled. */
function moduleDir(): string {
  const url = typeof import.meta === 'object' ? import.meta.url : undefined;
  if (url) return path.dirname(fileURLToPath(url));
  // CommonJS bundle (the extension host): esbuild leaves import.meta empty there.
  if (typeof __dirname === 'string') return __dirname;
  throw new ModelLabError('JOB_ENTRY_MISSING', 'Cannot tell where the job process script is; pass `entry`.');
}

function defaultEntry(): string {
  const here = moduleDir();
  for (const c of [path.join(here, 'jobs.js'), path.join(here, '..', 'main.ts')]) if (existsSync(c)) return c;
  throw new ModelLabError('JOB_ENTRY_MISSING', 'The job process script is missing; run `npm run build`.');
}

export class JobClient {
  private child?: ChildProcess;
  private connection?: MessageConnection;
  private readonly progress = new Map<string, (p: JobProgress) => void>();
  /** Settles with why the current process ended. */
  private exited?: Promise<string>;
  private disposed = false;

  constructor(private readonly opts: JobClientOptions = {}) {}

  /** The job process id while it runs (tests kill it to check crash handling). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  private start(): MessageConnection {
    if (this.disposed) throw new ModelLabError('JOB_CLIENT_DISPOSED', 'The job client was disposed.');
    if (this.connection) return this.connection;
    const entry = this.opts.entry ?? defaultEntry();
    const execArgv = this.opts.execArgv ?? (entry.endsWith('.ts') ? ['--import', 'tsx'] : []);
    const child = fork(entry, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const connection = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    connection.onNotification(JOBS_PROGRESS, (p: JobProgress) => this.progress.get(p.jobId)?.(p));
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        if (this.child === child) {
          this.child = undefined;
          this.connection = undefined;
        }
        connection.dispose();
        resolve(signal ? `signal ${signal}` : `exit code ${code}`);
      }),
    );
    connection.listen();
    this.child = child;
    this.connection = connection;
    return connection;
  }

  /** Trains (or resumes) a model in the job process. Aborting cancels it; the job saves a checkpoint first. */
  async train(params: TrainJobParams, opts: { signal?: AbortSignal; onProgress?: (p: JobProgress) => void } = {}): Promise<TrainJobResult> {
    const connection = this.start();
    const cts = new CancellationTokenSource();
    const onAbort = (): void => cts.cancel();
    opts.signal?.addEventListener('abort', onAbort);
    if (opts.onProgress) this.progress.set(params.jobId, opts.onProgress);
    const exited = this.exited!;
    try {
      return await connection.sendRequest<TrainJobResult>(JOBS_TRAIN, params, cts.token);
    } catch (err) {
      const data = err instanceof ResponseError ? (err.data as JobErrorData | undefined) : undefined;
      if (err instanceof ResponseError && data?.code) {
        if (data.code === 'ABORTED') throw new AbortedError(err.message);
        throw new RemoteJobError(data.name, data.code, err.message);
      }
      // The connection broke (vscode-jsonrpc rejects pending requests without data): when the process is gone, say so.
      const detail = await Promise.race([exited, new Promise<null>((r) => setTimeout(() => r(null), 3000).unref())]);
      if (detail !== null && !this.disposed) throw new JobCrashedError(detail);
      throw err;
    } finally {
      this.progress.delete(params.jobId);
      opts.signal?.removeEventListener('abort', onAbort);
      cts.dispose();
    }
  }

  /** Stops the job process (running jobs keep their last checkpoint). */
  dispose(): void {
    this.disposed = true;
    const child = this.child;
    this.child = undefined;
    this.connection?.dispose();
    this.connection = undefined;
    child?.kill();
  }
}
