// Client of the runtime process: forks it, speaks JSON-RPC over the IPC channel, and survives its crashes.
// No vscode import: the host, the CLI and tests all use it. When the child dies, every pending call rejects with
// RuntimeCrashedError, the child restarts with backoff and reloads the models and sessions it held.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { CancellationTokenSource, ErrorCodes, ResponseError } from 'vscode-jsonrpc/node.js';
import type {
  BackendInfo,
  CreateSessionParams,
  DownloadParams,
  DownloadProgress,
  DownloadResult,
  GenerateChunk,
  GenerateParams,
  GenerateResult,
  GpuSetting,
  LoadedModelInfo,
  LoadModelParams,
  LoadProgress,
  LogprobsParams,
  LogprobsResult,
  PerplexityParams,
  PerplexityResult,
  RuntimeErrorData,
  RuntimeLogLevel,
  RuntimeMethod,
  RuntimeRequests,
  SessionInfo,
  TokenizeParams,
  TokenizeResult,
} from '../../protocol/runtime.js';
import { reviveRuntimeError, RuntimeCrashedError, RuntimeUnavailableError } from '../errors.js';
import { forkRuntime, type RuntimeProcess } from './forkRuntime.js';
import {
  defaultRuntimeEntry,
  type CallOptions,
  type Disposable,
  type RuntimeClientEvents,
  type RuntimeClientLogLine,
  type RuntimeClientOptions,
  type RuntimeState,
} from './RuntimeClientOptions.js';

export * from './RuntimeClientOptions.js';
import { Backoff } from './Backoff.js';

/** vscode-jsonrpc's own codes for a broken or closed channel (not errors the runtime raised). */
const channelErrors = new Set<number>([ErrorCodes.MessageWriteError, ErrorCodes.MessageReadError, ErrorCodes.PendingResponseRejected, ErrorCodes.ConnectionInactive]);

interface Pending {
  reject: (err: Error) => void;
}

export class RuntimeClient {
  private readonly emitter = new EventEmitter<RuntimeClientEvents>();
  private readonly opts: RuntimeClientOptions;
  private readonly backoff: Backoff;
  private readonly logLines: RuntimeClientLogLine[] = [];
  private current?: RuntimeProcess;
  private ready?: Promise<RuntimeProcess>;
  private _state: RuntimeState = 'stopped';
  private readonly pending = new Set<Pending>();
  /** What to reload after a restart, in load order. */
  private readonly models = new Map<string, LoadModelParams>();
  private readonly sessions = new Map<string, CreateSessionParams>();
  private readonly chunkListeners = new Map<string, (c: GenerateChunk) => void>();
  private readonly downloadListeners = new Map<string, (p: DownloadProgress) => void>();
  private restartTimer?: NodeJS.Timeout;

  constructor(opts: RuntimeClientOptions = {}) {
    this.opts = opts;
    const r = opts.restart ?? {};
    this.backoff = new Backoff(r.initialDelayMs ?? 500, r.maxDelayMs ?? 30_000, r.maxAttempts ?? 8, r.stableMs ?? 60_000);
  }

  get state(): RuntimeState {
    return this._state;
  }
  /** Process id of the running child (undefined while none runs). */
  get pid(): number | undefined {
    return this.current?.child.pid;
  }
  /** The last log lines, oldest first. */
  get recentLog(): readonly RuntimeClientLogLine[] {
    return this.logLines;
  }
  /** Models the client holds (and reloads after a crash). */
  get loadedModels(): LoadModelParams[] {
    return [...this.models.values()];
  }

  on<K extends keyof RuntimeClientEvents>(event: K, listener: (...args: RuntimeClientEvents[K]) => void): Disposable {
    this.emitter.on(event, listener as never);
    return { dispose: () => this.emitter.off(event, listener as never) };
  }

  private setState(s: RuntimeState): void {
    if (this._state === s) return;
    this._state = s;
    this.emitter.emit('state', s);
  }

  private log(level: RuntimeLogLevel, message: string, source: RuntimeClientLogLine['source'] = 'client'): void {
    const line = { level, message, time: Date.now(), source };
    this.logLines.push(line);
    if (this.logLines.length > (this.opts.logCapacity ?? 500)) this.logLines.shift();
    this.emitter.emit('log', line);
  }

  /** Starts the child (if needed) and resolves when it is ready, with everything reloaded. */
  async start(): Promise<void> {
    await this.connection();
  }

  private connection(): Promise<RuntimeProcess> {
    if (this._state === 'disposed') return Promise.reject(new RuntimeUnavailableError('The model runtime was shut down'));
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

  private async spawn(): Promise<RuntimeProcess> {
    this.setState(this._state === 'stopped' ? 'starting' : 'restarting');
    const entry = this.opts.entry ?? defaultRuntimeEntry();
    if (!existsSync(entry)) {
      this.setState('failed');
      throw new RuntimeUnavailableError(`The runtime entry ${entry} does not exist (build with npm run build)`);
    }
    const inc = forkRuntime({
      entry,
      execArgv: this.opts.execArgv ?? (entry.endsWith('.ts') ? ['--import', 'tsx'] : []),
      env: this.opts.env,
      onOutput: (line, isError) => this.log(isError ? 'warn' : 'info', line, 'process'),
    });
    const { child, connection } = inc;
    void inc.exited.then(({ code, signal }) => this.onExit(inc, code, signal));
    child.once('error', (e) => this.log('error', `runtime process error: ${e.message}`));
    connection.onNotification('runtime/log', (l: { level: RuntimeLogLevel; message: string }) => this.log(l.level, l.message, 'runtime'));
    connection.onNotification('runtime/generateChunk', (c: GenerateChunk) => this.chunkListeners.get(c.generationId)?.(c));
    connection.onNotification('runtime/loadProgress', (p: LoadProgress) => this.emitter.emit('loadProgress', p));
    connection.onNotification('runtime/downloadProgress', (p: DownloadProgress) => {
      this.downloadListeners.get(p.downloadId)?.(p);
      this.emitter.emit('downloadProgress', p);
    });
    connection.listen();
    this.current = inc;
    this.log('info', `runtime process started (pid ${child.pid})`);

    try {
      const info = await this.send(inc, 'runtime/initialize', { gpu: this.opts.gpu ?? 'auto', logLevel: this.opts.logLevel ?? 'warn', threads: this.opts.threads });
      this.log('info', `runtime backend: ${info.backend}${info.devices.length ? ` (${info.devices.join(', ')})` : ''}`);
      await this.reload(inc);
    } catch (err) {
      // a crash is handled by onExit (restart); anything else leaves a process we cannot use
      if (!(err instanceof RuntimeCrashedError) && this.current === inc) {
        this.current = undefined;
        this.ready = undefined;
        inc.child.kill('SIGKILL');
        this.setState('failed');
        this.log('error', `runtime could not start: ${(err as Error).message}`);
      }
      throw err;
    }
    if (this.current === inc) {
      this.setState('ready');
    }
    return inc;
  }

  /** After a restart: load again what was loaded, with the same ids and options. */
  private async reload(inc: RuntimeProcess): Promise<void> {
    for (const [id, params] of [...this.models]) {
      try {
        await this.send(inc, 'runtime/loadModel', params);
        this.log('info', `reloaded model ${id}`);
      } catch (err) {
        if (err instanceof RuntimeCrashedError) {
          // the model itself may be what kills the process: do not load it again in a loop
          this.models.delete(id);
          this.log('error', `model ${id} was not reloaded: the runtime stopped while loading it`);
          throw err;
        }
        this.models.delete(id);
        this.log('error', `model ${id} could not be reloaded: ${(err as Error).message}`);
      }
    }
    for (const [id, params] of [...this.sessions]) {
      if (!this.models.has(params.modelId)) {
        this.sessions.delete(id);
        continue;
      }
      try {
        await this.send(inc, 'runtime/createSession', params);
      } catch (err) {
        if (err instanceof RuntimeCrashedError) throw err;
        this.sessions.delete(id);
        this.log('error', `session ${id} could not be recreated: ${(err as Error).message}`);
      }
    }
  }

  private onExit(inc: RuntimeProcess, code: number | null, signal: NodeJS.Signals | null): void {
    inc.connection.dispose();
    if (this.current !== inc) return;
    this.current = undefined;
    this.ready = undefined;
    if (this._state === 'disposed' || this._state === 'stopped') return;
    const lastLog = [...inc.output];
    const crash = new RuntimeCrashedError(code, signal, lastLog);
    for (const p of [...this.pending]) p.reject(crash);
    this.pending.clear();
    this.log('error', `runtime process ${inc.child.pid} stopped (${signal ? `signal ${signal}` : `exit code ${code}`})${lastLog.length ? `; last output: ${lastLog[lastLog.length - 1]}` : ''}`);
    this.emitter.emit('crash', crash);
    const delay = this.backoff.next(Date.now() - inc.startedAt);
    if (delay === undefined) {
      this.log('error', 'runtime keeps stopping; not restarting it again (run Show Runtime Log, then reload the window)');
      this.setState('failed');
      return;
    }
    this.setState('restarting');
    this.log('info', `restarting the runtime in ${delay} ms`);
    // calls made meanwhile wait for the restart instead of failing
    this.ready = new Promise<RuntimeProcess>((resolve, reject) => {
      this.restartTimer = setTimeout(() => {
        this.restartTimer = undefined;
        this.ready = undefined;
        this.connection().then(resolve, reject);
      }, delay);
    });
    this.ready.catch(() => {});
  }

  private send<M extends RuntimeMethod>(
    inc: RuntimeProcess,
    method: M,
    params: RuntimeRequests[M]['params'],
    signal?: AbortSignal,
  ): Promise<RuntimeRequests[M]['result']> {
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
      inc.connection.sendRequest(method, params, cts.token).then(
        (r) => {
          done();
          resolve(r as RuntimeRequests[M]['result']);
        },
        async (err: unknown) => {
          if (err instanceof ResponseError && !channelErrors.has(err.code)) {
            done();
            const data = err.data as RuntimeErrorData | undefined;
            reject(reviveRuntimeError(data?.name ?? 'RuntimeError', data?.code ?? 'INTERNAL', err.message));
            return;
          }
          // the channel broke: the exit handler rejects with RuntimeCrashedError (give it a moment to arrive)
          await Promise.race([inc.exited, new Promise((r) => setTimeout(r, 2000))]);
          done();
          const why = inc.stoppedBecause ? `was ${inc.stoppedBecause}` : `stopped answering: ${(err as Error)?.message ?? err}`;
          reject(new RuntimeUnavailableError(`The model runtime ${why}`));
        },
      );
    });
  }

  private async call<M extends RuntimeMethod>(method: M, params: RuntimeRequests[M]['params'], signal?: AbortSignal): Promise<RuntimeRequests[M]['result']> {
    const inc = await this.connection();
    return this.send(inc, method, params, signal);
  }

  // ---- typed API ------------------------------------------------------------------------------------------

  backendInfo(): Promise<BackendInfo> {
    return this.call('runtime/backendInfo', {});
  }

  async loadModel(params: Omit<LoadModelParams, 'id'> & { id?: string }, opts: CallOptions = {}): Promise<LoadedModelInfo> {
    const full: LoadModelParams = { ...params, id: params.id ?? `model-${randomUUID().slice(0, 8)}` };
    const info = await this.call('runtime/loadModel', full, opts.signal);
    this.models.delete(full.id);
    this.models.set(full.id, full);
    return info;
  }

  async unloadModel(id: string): Promise<void> {
    this.models.delete(id);
    for (const [sid, s] of this.sessions) if (s.modelId === id) this.sessions.delete(sid);
    await this.call('runtime/unloadModel', { id });
  }

  listModels(): Promise<LoadedModelInfo[]> {
    return this.call('runtime/listModels', {});
  }

  async createSession(params: Omit<CreateSessionParams, 'id'> & { id?: string }, opts: CallOptions = {}): Promise<SessionInfo> {
    const full: CreateSessionParams = { ...params, id: params.id ?? `session-${randomUUID().slice(0, 8)}` };
    const info = await this.call('runtime/createSession', full, opts.signal);
    this.sessions.set(full.id, full);
    return info;
  }

  async disposeSession(id: string): Promise<void> {
    this.sessions.delete(id);
    await this.call('runtime/disposeSession', { id });
  }

  resetSession(id: string): Promise<void> {
    return this.call('runtime/resetSession', { id });
  }

  /**
   * Streams a generation. Aborting `signal` stops it: the promise then resolves with the text so far and
   * stopReason 'cancelled'.
   */
  async generate(
    params: Omit<GenerateParams, 'generationId'> & { generationId?: string },
    opts: CallOptions & { onChunk?: (c: GenerateChunk) => void } = {},
  ): Promise<GenerateResult> {
    const generationId = params.generationId ?? randomUUID();
    if (opts.onChunk) this.chunkListeners.set(generationId, opts.onChunk);
    const onAbort = (): void => void this.cancel(generationId).catch(() => {});
    opts.signal?.addEventListener('abort', onAbort);
    try {
      const inc = await this.connection();
      // the child handles messages in order: a cancel sent after the request finds the generation registered
      const result = this.send(inc, 'runtime/generate', { ...params, generationId });
      if (opts.signal?.aborted) onAbort();
      return await result;
    } finally {
      this.chunkListeners.delete(generationId);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Stops a generation by id; false when it is not running. */
  async cancel(generationId: string): Promise<boolean> {
    if (!this.current) return false;
    return this.send(this.current, 'runtime/cancel', { generationId });
  }

  tokenize(params: TokenizeParams): Promise<TokenizeResult> {
    return this.call('runtime/tokenize', params);
  }

  async detokenize(modelId: string, tokens: number[]): Promise<string> {
    return (await this.call('runtime/detokenize', { modelId, tokens })).text;
  }

  logprobs(params: LogprobsParams, opts: CallOptions = {}): Promise<LogprobsResult> {
    return this.call('runtime/logprobs', params, opts.signal);
  }

  perplexity(params: PerplexityParams, opts: CallOptions = {}): Promise<PerplexityResult> {
    return this.call('runtime/perplexity', params, opts.signal);
  }

  /** Downloads a model into dirPath (resumes a partial download), then validates it. */
  async download(
    params: Omit<DownloadParams, 'downloadId'>,
    opts: CallOptions & { onProgress?: (p: DownloadProgress) => void } = {},
  ): Promise<DownloadResult> {
    const downloadId = randomUUID();
    if (opts.onProgress) this.downloadListeners.set(downloadId, opts.onProgress);
    const onAbort = (): void => {
      if (this.current) void this.send(this.current, 'runtime/cancelDownload', { downloadId }).catch(() => {});
    };
    opts.signal?.addEventListener('abort', onAbort);
    try {
      const inc = await this.connection();
      const result = this.send(inc, 'runtime/download', { ...params, downloadId });
      if (opts.signal?.aborted) onAbort();
      return await result;
    } finally {
      this.downloadListeners.delete(downloadId);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Stops the child and starts a fresh one (e.g. after the GPU setting changed); reloads what was loaded. */
  async restart(gpu?: GpuSetting): Promise<void> {
    if (gpu) this.opts.gpu = gpu;
    await this.stopChild('restarted');
    this.setState('stopped');
    await this.start();
  }

  private async stopChild(why: string): Promise<void> {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const inc = this.current;
    this.current = undefined;
    this.ready = undefined;
    for (const p of [...this.pending]) p.reject(new RuntimeUnavailableError(`The model runtime was ${why}`));
    this.pending.clear();
    if (!inc) return;
    inc.stoppedBecause = why;
    const timer = setTimeout(() => inc.child.kill('SIGKILL'), 3000);
    inc.child.kill('SIGTERM');
    await inc.exited;
    clearTimeout(timer);
  }

  /** Kills the child; pending calls reject with RuntimeUnavailableError. */
  async dispose(): Promise<void> {
    if (this._state === 'disposed') return;
    this.setState('disposed');
    await this.stopChild('shut down');
    this.emitter.removeAllListeners();
  }
}
