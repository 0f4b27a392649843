import type { Disposable, Event, Listener, LogChannel } from '../vscodeApi/HostApi.js';
import type { LoadOptions, LoadedModel, ModelRuntime, RuntimeEvent } from './ModelRuntime.js';

export interface RuntimeServiceDeps {
  /** Creates the runtime; called on first use only (starting node-llama-cpp costs time and memory). */
  create: () => ModelRuntime | Promise<ModelRuntime>;
  log: LogChannel;
  loadOptions: () => LoadOptions;
  warn: (message: string, ...actions: string[]) => Promise<string | undefined>;
  showLog: () => void;
}

export interface LoadedState {
  modelId: string;
  name: string;
  info: LoadedModel;
}

/**
 * The host's one runtime: spawned lazily, its log in the "Model Lab Runtime" channel, crashes surfaced as a
 * warning. Tracks which models are loaded (by Models-view id) for the tree and the status bar.
 */
export class RuntimeService implements Disposable {
  private runtime: Promise<ModelRuntime> | null = null;
  private readonly loaded = new Map<string, LoadedState>();
  private readonly loading = new Map<string, Promise<LoadedState>>();
  private readonly listeners = new Set<Listener<void>>();
  private readonly subscriptions: Disposable[] = [];
  private disposed = false;

  constructor(private readonly deps: RuntimeServiceDeps) {}

  readonly onDidChange: Event<void> = (l) => {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  };

  get started(): boolean {
    return this.runtime !== null;
  }

  /** The runtime, started on first call. A failed start is forgotten so the next call tries again. */
  get(): Promise<ModelRuntime> {
    if (this.disposed) return Promise.reject(new Error('Model Lab is shutting down.'));
    this.runtime ??= (async () => {
      this.deps.log.appendLine(`[host] starting the model runtime`);
      const rt = await this.deps.create();
      this.subscriptions.push(
        rt.onLog((line) => this.deps.log.appendLine(line)),
        rt.onEvent((e) => this.onRuntimeEvent(e)),
      );
      return rt;
    })().catch((e) => {
      this.runtime = null;
      this.deps.log.appendLine(`[host] the model runtime failed to start: ${e instanceof Error ? e.message : String(e)}`);
      throw e;
    });
    return this.runtime;
  }

  private onRuntimeEvent(e: RuntimeEvent): void {
    this.deps.log.appendLine(`[host] runtime ${e.kind}: ${e.reason}`);
    if (e.kind === 'crashed' || e.kind === 'restarted') void this.reconcile();
    if (e.kind === 'crashed') {
      void this.deps.warn(`Model Lab: the model runtime stopped unexpectedly (${e.reason}). It restarts by itself.`, 'Show Runtime Log').then((a) => {
        if (a === 'Show Runtime Log') this.deps.showLog();
      });
    }
  }

  /**
   * After a crash the runtime reloads the models it held (same handles) and drops those it could not reload; keep
   * only what it still holds, so the view and the status bar say the truth and the next use loads again.
   */
  private async reconcile(): Promise<void> {
    const rt = await this.runtime?.catch(() => null);
    const held = rt?.loadedHandles?.();
    const keep = held ? new Set(held) : new Set<string>();
    let changed = false;
    for (const [id, st] of this.loaded) {
      if (!keep.has(st.info.handle)) {
        this.loaded.delete(id);
        changed = true;
      }
    }
    if (changed) this.emit();
  }

  listLoaded(): LoadedState[] {
    return [...this.loaded.values()];
  }

  isLoaded(modelId: string): boolean {
    return this.loaded.has(modelId);
  }

  /** Loads once per model id; concurrent callers share the load. */
  async ensureLoaded(modelId: string, name: string, path: string, signal?: AbortSignal): Promise<LoadedState> {
    const have = this.loaded.get(modelId);
    if (have) return have;
    let p = this.loading.get(modelId);
    if (!p) {
      p = (async () => {
        const rt = await this.get();
        const info = await rt.loadModel(path, this.deps.loadOptions(), signal);
        const st: LoadedState = { modelId, name, info };
        this.loaded.set(modelId, st);
        this.deps.log.appendLine(`[host] loaded ${name} (${info.backend}, ${info.gpuLayers ?? '?'} GPU layers)`);
        // The user asked for a GPU and did not get it: say so where they look, not only in the log.
        if (info.fallback) void this.deps.warn(`Model Lab: ${name} runs on the CPU: ${info.fallback}`, 'Show Runtime Log').then((a) => a && this.deps.showLog());
        this.emit();
        return st;
      })().finally(() => this.loading.delete(modelId));
      this.loading.set(modelId, p);
    }
    return p;
  }

  async unload(modelId: string): Promise<boolean> {
    const st = this.loaded.get(modelId);
    if (!st) return false;
    this.loaded.delete(modelId);
    this.emit();
    const rt = await this.get();
    await rt.unloadModel(st.info.handle);
    return true;
  }

  /**
   * Stops the runtime so the next use starts a fresh one with the current settings (the GPU backend and thread
   * count are fixed when the process starts). Loaded models are gone; the next use loads them again.
   */
  stop(): boolean {
    const rt = this.runtime;
    if (!rt) return false;
    this.runtime = null;
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.loaded.clear();
    this.emit();
    void rt.then((r) => r.dispose()).catch(() => undefined);
    this.deps.log.appendLine('[host] stopped the model runtime; it starts again on next use');
    return true;
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }

  dispose(): void {
    this.disposed = true;
    for (const s of this.subscriptions) s.dispose();
    const rt = this.runtime;
    this.runtime = null;
    this.listeners.clear();
    void rt?.then((r) => r.dispose()).catch(() => undefined);
  }
}
