// A ModelRuntime for tests: records calls; generation streams fixed pieces and honours the abort signal.
import type { Listener } from '../../../src/host/vscodeApi/HostApi.js';
import type { GenerateRequest, LoadOptions, ModelRuntime, RuntimeEvent } from '../../../src/host/runtime/ModelRuntime.js';

export class StubRuntime implements ModelRuntime {
  loads: Array<{ path: string; opts: LoadOptions }> = [];
  unloads: string[] = [];
  generations: GenerateRequest[] = [];
  pieces = ['Hello', ',', ' world'];
  /** When set, generate waits on this promise after the first piece (to test Stop). */
  holdAfterFirst: Promise<void> | null = null;
  disposed = false;
  /** When set, loads report a CPU fallback with this reason. */
  fallback: string | null = null;
  /** What loads report as the model's trained context and chat template. */
  trainContextSize: number | null = null;
  chatTemplate = false;
  private logL = new Set<Listener<string>>();
  private evL = new Set<Listener<RuntimeEvent>>();

  async backendInfo() {
    return { backend: 'cpu', devices: [], vramBytes: null, fallbackReason: null };
  }
  async loadModel(path: string, opts: LoadOptions) {
    this.loads.push({ path, opts });
    this.held.add(`m${this.loads.length}`);
    const model = { trainContextSize: this.trainContextSize, chatTemplate: this.chatTemplate, architecture: 'llama' };
    if (this.fallback) return { handle: `m${this.loads.length}`, path, backend: 'cpu', gpuLayers: 0, totalLayers: 5, memoryBytes: 3 * 1024 * 1024, fallback: this.fallback, ...model };
    return { handle: `m${this.loads.length}`, path, backend: 'cuda', gpuLayers: 4, totalLayers: 5, memoryBytes: 3 * 1024 * 1024, ...model };
  }
  async unloadModel(handle: string) {
    this.unloads.push(handle);
    this.held.delete(handle);
  }
  /** Handles the runtime holds (a test empties it to play a crash whose reload failed). */
  held = new Set<string>();
  loadedHandles() {
    return [...this.held];
  }
  async generate(req: GenerateRequest, onText: (t: string) => void, signal: AbortSignal) {
    this.generations.push(req);
    let n = 0;
    for (const p of this.pieces) {
      if (signal.aborted) break;
      onText(p);
      n++;
      if (n === 1 && this.holdAfterFirst) await Promise.race([this.holdAfterFirst, new Promise((r) => signal.addEventListener('abort', r, { once: true }))]);
    }
    if (signal.aborted) throw Object.assign(new Error('Cancelled.'), { code: 'ABORTED' });
    return { tokens: n, stopReason: 'eos' };
  }
  /** Scores each character as one token with log p = −1 (enough for the panels' bookkeeping). */
  async scoreText(req: { prompt: string; text: string }) {
    const pieces = [...req.text];
    return { pieces, logprobs: pieces.map(() => -1), tokens: pieces.map((c) => c.charCodeAt(0)) };
  }
  downloads: Array<{ uri: string; directory: string }> = [];
  downloadResult = '/tmp/none.gguf';
  async download(uri: string, directory: string, onProgress: (p: { downloadedBytes: number; totalBytes: number | null; bytesPerSecond: number }) => void) {
    this.downloads.push({ uri, directory });
    onProgress({ downloadedBytes: 5, totalBytes: 10, bytesPerSecond: 2048 });
    return { path: this.downloadResult };
  }
  onLog = (l: Listener<string>) => (this.logL.add(l), { dispose: () => this.logL.delete(l) });
  onEvent = (l: Listener<RuntimeEvent>) => (this.evL.add(l), { dispose: () => this.evL.delete(l) });
  emitLog(line: string) {
    for (const l of this.logL) l(line);
  }
  emitEvent(e: RuntimeEvent) {
    for (const l of this.evL) l(e);
  }
  dispose() {
    this.disposed = true;
  }
}

export const STUB_CATALOG = [{ id: 'phi3', name: 'Phi-3 mini', uri: 'hf:microsoft/Phi-3-mini-4k-instruct-gguf/Phi-3-mini-4k-instruct-q4.gguf', sizeBytes: 2_390_000_000, description: 'recommended', recommended: true }];
