// Parent side of a Model Lab child process (the runtime, the job process): forks it with ELECTRON_RUN_AS_NODE,
// speaks JSON-RPC with a typed method map over the IPC channel, revives typed errors, turns AbortSignals into
// JSON-RPC cancellation, keeps (and optionally writes) its stdout/stderr log, and survives its crashes: every
// pending call rejects with the process's crash error and the child restarts with backoff. No vscode import.
import { EventEmitter } from 'node:events';
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { CancellationTokenSource, ErrorCodes, ResponseError } from 'vscode-jsonrpc/node.js';
import { AbortedError } from '../engine/errors.js';
import type { RequestMap, RpcErrorData } from '../protocol/rpc.js';
import { Backoff } from './Backoff.js';
import { ProcessCrashedError, reviveError } from './errors.js';
import { forkChild, type ChildRun } from './forkChild.js';
import type { Disposable, LogLevel, ProcessClientEvents, ProcessClientOptions, ProcessLogLine, ProcessState } from './ProcessClientOptions.js';

/** vscode-jsonrpc's own codes for a broken or closed channel (not errors the child raised). */
const channelErrors = new Set<number>([ErrorCodes.MessageWriteError, ErrorCodes.MessageReadError, ErrorCodes.PendingResponseRejected, ErrorCodes.ConnectionInactive]);

interface Pending {
  reject: (err: Error) => void;
}

/** Runs after each start, before the child counts as ready (initialize, reload state); `send` talks to that run. */
export type OnStart<R extends RequestMap<R>> = (send: <M extends keyof R & string>(method: M, params: R[M]['params']) => Promise<R[M]['result']>) => Promise<void>;

export class ProcessClient<R extends RequestMap<R>> {
  private readonly emitter = new EventEmitter<ProcessClientEvents>();
  private readonly backoff: Backoff;
  private readonly logLines: ProcessLogLine[] = [];
  private current?: ChildRun;
  private ready?: Promise<ChildRun>;
  private _state: ProcessState = 'stopped';
  private readonly pending = new Set<Pending>();
  private restartTimer?: NodeJS.Timeout;
  /** Set by the owner: what to do after each start (see OnStart). */
  onStart?: OnStart<R>;

  constructor(readonly opts: ProcessClientOptions) {
    const r = opts.restart ?? {};
    this.backoff = new Backoff(r.initialDelayMs ?? 500, r.maxDelayMs ?? 30_000, r.maxAttempts ?? 8, r.stableMs ?? 60_000);
  }

  get state(): ProcessState {
    return this._state;
  }
  /** Process id of the running child (undefined while none runs). */
  get pid(): number | undefined {
    return this.current?.child.pid;
  }
  /** The last log lines, oldest first. */
  get recentLog(): readonly ProcessLogLine[] {
    return this.logLines;
  }

  on<K extends keyof ProcessClientEvents>(event: K, listener: (...args: ProcessClientEvents[K]) => void): Disposable {
    this.emitter.on(event, listener as never);
    return { dispose: () => this.emitter.off(event, listener as never) };
  }

  private setState(s: ProcessState): void {
    if (this._state === s) return;
    this._state = s;
    this.emitter.emit('state', s);
  }

  log(level: LogLevel, message: string, source = 'client'): void {
    const line = { level, message, time: Date.now(), source };
    this.logLines.push(line);
    if (this.logLines.length > (this.opts.logCapacity ?? 500)) this.logLines.shift();
    if (this.opts.logFile) {
      try {
        mkdirSync(path.dirname(this.opts.logFile), { recursive: true });
        appendFileSync(this.opts.logFile, `${new Date(line.time).toISOString()} [${source}] ${level}: ${message}\n`);
      } catch {
        // a log file we cannot write must not stop the work it describes
      }
    }
    this.emitter.emit('log', line);
  }

  /** The running child, started (and made ready) if needed. */
  connect(): Promise<ChildRun> {
    if (this._state === 'disposed') return Promise.reject(this.opts.unavailableError(`${this.opts.title} was shut down`));
    if (!this.ready) {
      const starting = this.spawn();
      this.ready = starting;
      // a start that failed for good (no entry file, initialize refused) is retried by the next call
      starting.catch(() => {
        if (this.ready === starting && !this.current) this.ready = undefined;
      });
    }
    return this.ready;
  }

  /** The running child, or undefined (does not start one): for cancels and other calls that only make sense live. */
  get running(): ChildRun | undefined {
    return this.current;
  }

  private async spawn(): Promise<ChildRun> {
    this.setState(this._state === 'stopped' ? 'starting' : 'restarting');
    const { entry, label } = this.opts;
    if (!existsSync(entry)) {
      this.setState('failed');
      throw this.opts.unavailableError(`The ${label} entry ${entry} does not exist (build with npm run build)`);
    }
    const run = forkChild({
      entry,
      execArgv: this.opts.execArgv ?? (entry.endsWith('.ts') ? ['--import', 'tsx'] : []),
      env: this.opts.env,
      onOutput: (line, isError) => this.log(isError ? 'warn' : 'info', line, 'process'),
    });
    void run.exited.then(({ code, signal }) => this.onExit(run, code, signal));
    run.child.once('error', (e) => this.log('error', `${label} process error: ${e.message}`));
    this.opts.onConnection?.(run.connection);
    run.connection.listen();
    this.current = run;
    this.log('info', `${label} process started (pid ${run.child.pid})`);

    try {
      await this.onStart?.((method, params) => this.send(run, method, params));
    } catch (err) {
      // a crash is handled by onExit (restart); anything else leaves a process we cannot use
      if (!(err instanceof ProcessCrashedError) && this.current === run) {
        this.current = undefined;
        this.ready = undefined;
        run.child.kill('SIGKILL');
        this.setState('failed');
        this.log('error', `${label} could not start: ${(err as Error).message}`);
      }
      throw err;
    }
    if (this.current === run) this.setState('ready');
    return run;
  }

  private onExit(run: ChildRun, code: number | null, signal: NodeJS.Signals | null): void {
    run.connection.dispose();
    if (this.current !== run) return;
    this.current = undefined;
    this.ready = undefined;
    if (this._state === 'disposed' || this._state === 'stopped') return;
    const { label } = this.opts;
    const lastLog = [...run.output];
    const crash = this.opts.crashError(code, signal, lastLog);
    for (const p of [...this.pending]) p.reject(crash);
    this.pending.clear();
    this.log('error', `${label} process ${run.child.pid} stopped (${signal ? `signal ${signal}` : `exit code ${code}`})${lastLog.length ? `; last output: ${lastLog[lastLog.length - 1]}` : ''}`);
    this.emitter.emit('crash', crash);
    const delay = this.backoff.next(Date.now() - run.startedAt);
    if (delay === undefined) {
      this.log('error', `${label} keeps stopping; not restarting it again${this.opts.giveUpAdvice ? ` (${this.opts.giveUpAdvice})` : ''}`);
      this.setState('failed');
      return;
    }
    this.setState('restarting');
    this.log('info', `restarting the ${label} in ${delay} ms`);
    // calls made meanwhile wait for the restart instead of failing
    this.ready = new Promise<ChildRun>((resolve, reject) => {
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        this.ready = undefined;
        this.connect().then(resolve, reject);
      }, delay);
    });
    this.ready.catch(() => {});
  }

  /** One typed request on a given run; `signal` cancels it through JSON-RPC cancellation. */
  send<M extends keyof R & string>(run: ChildRun, method: M, params: R[M]['params'], signal?: AbortSignal): Promise<R[M]['result']> {
    // cancelled before it was sent (e.g. while the child was starting): the child never sees it
    if (signal?.aborted) return Promise.reject(new AbortedError());
    return new Promise((resolve, reject) => {
      const entry: Pending = { reject };
      this.pending.add(entry);
      const cts = new CancellationTokenSource();
      const onAbort = (): void => cts.cancel();
      signal?.addEventListener('abort', onAbort);
      const done = (): void => {
        this.pending.delete(entry);
        signal?.removeEventListener('abort', onAbort);
        cts.dispose();
      };
      run.connection.sendRequest(method, params, cts.token).then(
        (r) => {
          done();
          resolve(r as R[M]['result']);
        },
        async (err: unknown) => {
          if (err instanceof ResponseError && !channelErrors.has(err.code)) {
            done();
            const data = err.data as RpcErrorData | undefined;
            reject(reviveError(data?.name ?? 'Error', data?.code ?? 'INTERNAL', err.message, `the ${this.opts.label} process`));
            return;
          }
          // the channel broke: the exit handler rejects with the crash error (give it a moment to arrive)
          await Promise.race([run.exited, new Promise((r) => setTimeout(r, 2000).unref())]);
          done();
          const why = run.stoppedBecause ? `was ${run.stoppedBecause}` : `stopped answering: ${(err as Error)?.message ?? err}`;
          reject(this.opts.unavailableError(`${this.opts.title} ${why}`));
        },
      );
    });
  }

  /** One typed request; starts the child first when none runs. */
  async request<M extends keyof R & string>(method: M, params: R[M]['params'], signal?: AbortSignal): Promise<R[M]['result']> {
    const run = await this.connect();
    return this.send(run, method, params, signal);
  }

  /** Stops the child and starts a fresh one. */
  async restart(): Promise<void> {
    await this.stopChild('restarted');
    this.setState('stopped');
    await this.connect();
  }

  private async stopChild(why: string): Promise<void> {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const run = this.current;
    this.current = undefined;
    this.ready = undefined;
    for (const p of [...this.pending]) p.reject(this.opts.unavailableError(`${this.opts.title} was ${why}`));
    this.pending.clear();
    if (!run) return;
    run.stoppedBecause = why;
    const timer = setTimeout(() => run.child.kill('SIGKILL'), 3000);
    run.child.kill('SIGTERM');
    await run.exited;
    clearTimeout(timer);
  }

  /** Kills the child; pending calls reject with the unavailable error. */
  async dispose(): Promise<void> {
    if (this._state === 'disposed') return;
    this.setState('disposed');
    await this.stopChild('shut down');
    this.emitter.removeAllListeners();
  }
}
