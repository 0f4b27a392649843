// Client of the runtime process: the shared process stack (src/process) with the runtime's method map, plus what
// only the runtime needs: after a crash the child restarts with backoff and reloads the models and sessions it held.
// No vscode import: the host, the CLI and tests all use it. Pending calls reject with RuntimeCrashedError.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ChildRun } from '../../process/forkChild.js';
import { ProcessClient } from '../../process/ProcessClient.js';
import { checkHostReachable, firstDownloadUrl } from '../download/checkHostReachable.js';
import { parseModelUri } from '../download/parseModelUri.js';
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
  RuntimeLogLevel,
  RuntimeMethod,
  RuntimeRequests,
  SessionInfo,
  TokenizeParams,
  TokenizeResult,
} from '../../protocol/runtime.js';
import { RuntimeCrashedError, RuntimeUnavailableError } from '../errors.js';
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

type Send = <M extends RuntimeMethod>(method: M, params: RuntimeRequests[M]['params']) => Promise<RuntimeRequests[M]['result']>;

export class RuntimeClient {
  private readonly emitter = new EventEmitter<Pick<RuntimeClientEvents, 'loadProgress' | 'downloadProgress'>>();
  private readonly proc: ProcessClient<RuntimeRequests>;
  /** What to reload after a restart, in load order. */
  private readonly models = new Map<string, LoadModelParams>();
  private readonly sessions = new Map<string, CreateSessionParams>();
  private readonly chunkListeners = new Map<string, (c: GenerateChunk) => void>();
  private readonly downloadListeners = new Map<string, (p: DownloadProgress) => void>();

  constructor(private readonly opts: RuntimeClientOptions = {}) {
    this.proc = new ProcessClient<RuntimeRequests>({
      label: 'runtime',
      title: 'The model runtime',
      entry: opts.entry ?? defaultRuntimeEntry(),
      execArgv: opts.execArgv,
      env: opts.env,
      restart: opts.restart,
      logCapacity: opts.logCapacity,
      crashError: (code, signal, lastLog) => new RuntimeCrashedError(code, signal, lastLog),
      unavailableError: (m) => new RuntimeUnavailableError(m),
      giveUpAdvice: 'run Show Runtime Log, then reload the window',
      onConnection: (connection) => {
        connection.onNotification('runtime/log', (l: { level: RuntimeLogLevel; message: string }) => this.proc.log(l.level, l.message, 'runtime'));
        connection.onNotification('runtime/generateChunk', (c: GenerateChunk) => this.chunkListeners.get(c.generationId)?.(c));
        connection.onNotification('runtime/loadProgress', (p: LoadProgress) => this.emitter.emit('loadProgress', p));
        connection.onNotification('runtime/downloadProgress', (p: DownloadProgress) => {
          this.downloadListeners.get(p.downloadId)?.(p);
          this.emitter.emit('downloadProgress', p);
        });
      },
    });
    this.proc.onStart = async (send) => {
      const info = await send('runtime/initialize', { gpu: this.opts.gpu ?? 'auto', logLevel: this.opts.logLevel ?? 'warn', threads: this.opts.threads });
      this.proc.log('info', `runtime backend: ${info.backend}${info.devices.length ? ` (${info.devices.join(', ')})` : ''}`);
      await this.reload(send);
    };
  }

  get state(): RuntimeState {
    return this.proc.state;
  }
  /** Process id of the running child (undefined while none runs). */
  get pid(): number | undefined {
    return this.proc.pid;
  }
  /** The last log lines, oldest first. */
  get recentLog(): readonly RuntimeClientLogLine[] {
    return this.proc.recentLog;
  }
  /** Models the client holds (and reloads after a crash). */
  get loadedModels(): LoadModelParams[] {
    return [...this.models.values()];
  }

  on<K extends keyof RuntimeClientEvents>(event: K, listener: (...args: RuntimeClientEvents[K]) => void): Disposable {
    if (event === 'log' || event === 'state' || event === 'crash') return this.proc.on(event, listener as never);
    this.emitter.on(event as 'loadProgress', listener as never);
    return { dispose: () => this.emitter.off(event as 'loadProgress', listener as never) };
  }

  /** Starts the child (if needed) and resolves when it is ready, with everything reloaded. */
  async start(): Promise<void> {
    await this.proc.connect();
  }

  /** After a restart: load again what was loaded, with the same ids and options. */
  private async reload(send: Send): Promise<void> {
    for (const [id, params] of [...this.models]) {
      try {
        await send('runtime/loadModel', params);
        this.proc.log('info', `reloaded model ${id}`);
      } catch (err) {
        if (err instanceof RuntimeCrashedError) {
          // the model itself may be what kills the process: do not load it again in a loop
          this.models.delete(id);
          this.proc.log('error', `model ${id} was not reloaded: the runtime stopped while loading it`);
          throw err;
        }
        this.models.delete(id);
        this.proc.log('error', `model ${id} could not be reloaded: ${(err as Error).message}`);
      }
    }
    for (const [id, params] of [...this.sessions]) {
      if (!this.models.has(params.modelId)) {
        this.sessions.delete(id);
        continue;
      }
      try {
        await send('runtime/createSession', params);
      } catch (err) {
        if (err instanceof RuntimeCrashedError) throw err;
        this.sessions.delete(id);
        this.proc.log('error', `session ${id} could not be recreated: ${(err as Error).message}`);
      }
    }
  }

  private send<M extends RuntimeMethod>(run: ChildRun, method: M, params: RuntimeRequests[M]['params'], signal?: AbortSignal): Promise<RuntimeRequests[M]['result']> {
    return this.proc.send(run, method, params, signal);
  }

  private call<M extends RuntimeMethod>(method: M, params: RuntimeRequests[M]['params'], signal?: AbortSignal): Promise<RuntimeRequests[M]['result']> {
    return this.proc.request(method, params, signal);
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
      const inc = await this.proc.connect();
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
    const run = this.proc.running;
    if (!run) return false;
    return this.send(run, 'runtime/cancel', { generationId });
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
      const run = this.proc.running;
      if (run) void this.send(run, 'runtime/cancelDownload', { downloadId }).catch(() => {});
    };
    opts.signal?.addEventListener('abort', onAbort);
    try {
      // offline or unreachable: say so in seconds, without waiting for the runtime process (slow to start on a
      // busy machine); the child checks again before it downloads
      await checkHostReachable(firstDownloadUrl(parseModelUri(params.uri, params.hfEndpoint), params.hfEndpoint), { signal: opts.signal });
      const inc = await this.proc.connect();
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
    await this.proc.restart();
  }

  /** Kills the child; pending calls reject with RuntimeUnavailableError. */
  async dispose(): Promise<void> {
    await this.proc.dispose();
    this.emitter.removeAllListeners();
  }
}
