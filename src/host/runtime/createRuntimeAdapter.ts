import path from 'node:path';
import { RuntimeClient } from '../../runtime/client/RuntimeClient.js';
import { MODEL_CATALOG } from '../../runtime/catalog.js';
import type { Listener } from '../vscodeApi/HostApi.js';
import type { ModelLabSettings } from '../settings/readSettings.js';
import type { BackendInfo, CatalogEntry, GenerateRequest, GenerateResult, LoadOptions, LoadedModel, ModelRuntime, RuntimeEvent } from './ModelRuntime.js';

interface SessionKey {
  modelHandle: string;
  adapter?: { path: string; scale: number };
  systemPrompt?: string;
  contextSize: number;
}

/**
 * ModelRuntime over the runtime process client. One session per (model, adapter, scale, system prompt, context
 * size): chat keeps its history in the session (LlamaChatSession), so a conversation that starts over resets it.
 */
export function createRuntimeAdapter(settings: ModelLabSettings, extensionPath: string): ModelRuntime {
  const client = new RuntimeClient({
    entry: path.join(extensionPath, 'dist', 'runtime.js'),
    gpu: settings.gpu,
    threads: settings.threads,
    logLevel: 'warn',
  });
  const logListeners = new Set<Listener<string>>();
  const eventListeners = new Set<Listener<RuntimeEvent>>();
  const sessions = new Map<string, string>();
  let lastState = client.state;

  const subs = [
    client.on('log', (l) => {
      const line = `[${l.source}] ${l.level}: ${l.message}`;
      for (const f of logListeners) f(line);
    }),
    // Sessions survive a crash: the client recreates them with the same ids when it reloads their model.
    client.on('crash', (e) => {
      for (const f of eventListeners) f({ kind: 'crashed', reason: e.message });
    }),
    client.on('state', (s) => {
      if (s === 'ready' && lastState === 'restarting') for (const f of eventListeners) f({ kind: 'restarted', reason: 'the runtime is back' });
      if (s === 'failed') for (const f of eventListeners) f({ kind: 'stopped', reason: 'the runtime could not be (re)started' });
      lastState = s;
    }),
  ];

  const sessionFor = async (k: SessionKey, signal: AbortSignal): Promise<{ id: string; fresh: boolean }> => {
    const key = JSON.stringify([k.modelHandle, k.adapter?.path ?? null, k.adapter?.scale ?? null, k.systemPrompt ?? null, k.contextSize]);
    const have = sessions.get(key);
    if (have) return { id: have, fresh: false };
    const info = await client.createSession(
      { modelId: k.modelHandle, contextSize: k.contextSize, lora: k.adapter ? [{ path: k.adapter.path, scale: k.adapter.scale }] : undefined, systemPrompt: k.systemPrompt },
      { signal },
    );
    sessions.set(key, info.id);
    return { id: info.id, fresh: true };
  };

  return {
    async backendInfo(): Promise<BackendInfo> {
      const b = await client.backendInfo();
      return { backend: b.backend, devices: b.devices, vramBytes: b.vram?.total ?? null, fallbackReason: b.fallback ?? null };
    },

    async loadModel(filePath: string, opts: LoadOptions, signal?: AbortSignal): Promise<LoadedModel> {
      const info = await client.loadModel({ path: filePath, gpuLayers: opts.gpuLayers }, { signal });
      return {
        handle: info.id,
        path: info.path,
        backend: info.backend,
        gpuLayers: info.gpuLayers,
        totalLayers: info.layerCount,
        memoryBytes: info.sizeBytes,
        fallback: info.fallback ?? null,
      };
    },

    async unloadModel(handle: string): Promise<void> {
      for (const k of [...sessions.keys()]) if (JSON.parse(k)[0] === handle) sessions.delete(k);
      await client.unloadModel(handle);
    },

    async generate(req: GenerateRequest, onText: (t: string) => void, signal: AbortSignal): Promise<GenerateResult> {
      const s = await sessionFor(
        { modelHandle: req.modelHandle, adapter: req.adapter, systemPrompt: req.mode === 'chat' ? req.systemPrompt : undefined, contextSize: req.contextSize },
        signal,
      );
      // A raw completion is stateless; a chat that starts over (no earlier turns) forgets the session's history.
      if (!s.fresh && (req.mode === 'complete' || req.history.length === 0)) await client.resetSession(s.id);
      const r = await client.generate(
        {
          sessionId: s.id,
          prompt: req.prompt,
          mode: req.mode === 'chat' ? 'chat' : 'completion',
          maxTokens: req.sampling.maxTokens,
          temperature: req.sampling.temperature,
          topK: req.sampling.topK,
          topP: req.sampling.topP,
          seed: req.sampling.seed,
        },
        { signal, onChunk: (c) => onText(c.text) },
      );
      return { tokens: r.tokens.length, stopReason: r.stopReason, tokensPerSecond: r.tokensPerSecond };
    },

    async download(uri, directory, onProgress, signal) {
      const r = await client.download(
        { uri, dirPath: directory },
        { signal, onProgress: (p) => onProgress({ downloadedBytes: p.downloadedBytes, totalBytes: p.totalBytes || null }) },
      );
      return { path: r.path };
    },

    loadedHandles: () => client.loadedModels.map((m) => m.id),
    onLog: (l) => (logListeners.add(l), { dispose: () => logListeners.delete(l) }),
    onEvent: (l) => (eventListeners.add(l), { dispose: () => eventListeners.delete(l) }),
    dispose() {
      for (const s of subs) s.dispose();
      logListeners.clear();
      eventListeners.clear();
      void client.dispose();
    },
  };
}

/** The models "Download Model…" offers: the runtime's catalog (plain data; showing it starts no process). */
export function runtimeCatalog(): CatalogEntry[] {
  return MODEL_CATALOG.map((c) => ({
    id: c.id,
    name: c.label,
    uri: c.uri,
    sizeBytes: c.approxBytes,
    description: c.description,
    recommended: c.recommended === true,
  }));
}
