import path from 'node:path';
import { RuntimeClient, type RuntimeClientOptions } from '../../runtime/client/RuntimeClient.js';
import { MODEL_CATALOG } from '../../runtime/catalog.js';
import { offloadableLayers } from '../../protocol/gpuLayers.js';
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
 * ModelRuntime over the runtime process client. Chat keeps its history in the runtime's session (LlamaChatSession),
 * so a conversation that starts over resets it, and a raw completion always starts from a clean session.
 */
export type RuntimeClientLike = Pick<
  RuntimeClient,
  'on' | 'state' | 'backendInfo' | 'loadModel' | 'unloadModel' | 'createSession' | 'disposeSession' | 'resetSession' | 'generate' | 'download' | 'loadedModels' | 'dispose' | 'logprobs' | 'tokenize' | 'perplexity'
>;

export function createRuntimeAdapter(
  settings: ModelLabSettings,
  extensionPath: string,
  makeClient: (opts: RuntimeClientOptions) => RuntimeClientLike = (opts) => new RuntimeClient(opts),
): ModelRuntime {
  const client = makeClient({
    entry: path.join(extensionPath, 'dist', 'runtime.js'),
    gpu: settings.gpu,
    threads: settings.threads,
    logLevel: 'warn',
  });
  const logListeners = new Set<Listener<string>>();
  const eventListeners = new Set<Listener<RuntimeEvent>>();
  const sessions = new Map<string, { key: string; id: string }>();
  let lastState = client.state;

  const subs = [
    client.on('log', (l) => {
      const line = `[${l.source}] ${l.level}: ${l.message}`;
      for (const f of logListeners) f(line);
    }),
    // Sessions survive a crash: the client recreates them with the same ids when it reloads their model.
    client.on('crash', (e) => {
      const how = e.signal ? `signal ${e.signal}` : `exit code ${e.exitCode}`;
      const last = e.lastLog.length ? `; last output: ${e.lastLog[e.lastLog.length - 1]}` : '';
      for (const f of eventListeners) f({ kind: 'crashed', reason: `${how}${last}` });
    }),
    client.on('state', (s) => {
      if (s === 'ready' && lastState === 'restarting') for (const f of eventListeners) f({ kind: 'restarted', reason: 'the runtime is back' });
      if (s === 'failed') for (const f of eventListeners) f({ kind: 'stopped', reason: 'the runtime could not be (re)started' });
      lastState = s;
    }),
  ];

  // One session (one llama.cpp context, whose KV cache can take gigabytes) per model: a different adapter, scale,
  // system prompt or context size replaces it rather than adding another.
  const sessionFor = async (k: SessionKey, signal: AbortSignal): Promise<{ id: string; fresh: boolean }> => {
    const key = JSON.stringify([k.adapter?.path ?? null, k.adapter?.scale ?? null, k.systemPrompt ?? null, k.contextSize]);
    const have = sessions.get(k.modelHandle);
    if (have?.key === key) return { id: have.id, fresh: false };
    if (have) {
      sessions.delete(k.modelHandle);
      await client.disposeSession(have.id).catch(() => undefined);
    }
    const info = await client.createSession(
      { modelId: k.modelHandle, contextSize: k.contextSize, lora: k.adapter ? [{ path: k.adapter.path, scale: k.adapter.scale }] : undefined, systemPrompt: k.systemPrompt },
      { signal },
    );
    sessions.set(k.modelHandle, { key, id: info.id });
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
        totalLayers: offloadableLayers(info.layerCount),
        memoryBytes: info.sizeBytes,
        fallback: info.fallback ?? null,
        trainContextSize: info.trainContextSize || null,
        chatTemplate: info.chatTemplate,
        architecture: info.architecture,
      };
    },

    async unloadModel(handle: string): Promise<void> {
      sessions.delete(handle);
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

    async scoreText(req, signal) {
      const lora = req.adapter ? [{ path: req.adapter.path, scale: req.adapter.scale }] : undefined;
      const prompt = req.prompt ? (await client.tokenize({ modelId: req.modelHandle, text: req.prompt, addBos: true })).tokens : [];
      const r = await client.logprobs({ modelId: req.modelHandle, text: req.prompt + req.text, lora }, { signal });
      let start = 0;
      while (start < prompt.length && r.tokens[start] === prompt[start]) start++;
      start = Math.max(start, req.prompt ? 1 : 0);
      return { pieces: r.pieces.slice(start), logprobs: r.logprobs.slice(start), tokens: r.tokens.slice(start) };
    },

    async download(uri, directory, onProgress, signal) {
      const r = await client.download(
        { uri, dirPath: directory },
        { signal, onProgress: (p) => onProgress({ downloadedBytes: p.downloadedBytes, totalBytes: p.totalBytes || null, bytesPerSecond: p.bytesPerSecond || 0 }) },
      );
      return { path: r.path };
    },

    evalRuntime: () => ({
      logprobs: (p, signal) => client.logprobs(p, { signal }),
      perplexity: (p, signal) => client.perplexity(p, { signal }),
      tokenize: (p) => client.tokenize(p),
      createSession: (p, signal) => client.createSession(p, { signal }),
      disposeSession: (id) => client.disposeSession(id),
      resetSession: (id) => client.resetSession(id),
      generate: (p, onChunk, signal) => client.generate(p, { signal, onChunk }),
    }),

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
