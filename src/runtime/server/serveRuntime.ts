// Wires a JSON-RPC connection to a LlamaRuntime: one handler per request of src/protocol/runtime.ts.
import type { MessageConnection } from 'vscode-jsonrpc/node.js';
import { serveMethods } from '../../process/serveMethods.js';
import type { RuntimeNotificationMethod, RuntimeNotifications, RuntimeRequests } from '../../protocol/runtime.js';
import { LlamaRuntime } from '../core/LlamaRuntime.js';
import { downloadModel } from '../download/downloadModel.js';
import { ChunkCoalescer } from './ChunkCoalescer.js';

/** Serves the runtime on `connection`; returns the runtime so main.ts can dispose it on exit. */
export function serveRuntime(connection: MessageConnection): LlamaRuntime {
  const notify = <N extends RuntimeNotificationMethod>(method: N, payload: RuntimeNotifications[N]): void => {
    void connection.sendNotification(method, payload).catch(() => {});
  };
  const runtime = new LlamaRuntime({
    log: (level, message) => notify('runtime/log', { level, message, time: Date.now() }),
    loadProgress: (p) => notify('runtime/loadProgress', p),
  });
  const downloads = new Map<string, AbortController>();

  serveMethods<RuntimeRequests>(connection, {
    'runtime/initialize': (p) => runtime.initialize(p),
    'runtime/backendInfo': () => runtime.backendInfo(),
    'runtime/loadModel': (p, signal) => runtime.loadModel(p, signal),
    'runtime/unloadModel': (p) => runtime.unloadModel(p.id),
    'runtime/listModels': () => runtime.listModels(),
    'runtime/createSession': (p, signal) => runtime.createSession(p, signal),
    'runtime/disposeSession': (p) => runtime.disposeSession(p.id),
    'runtime/resetSession': (p) => runtime.resetSession(p.id),
    'runtime/generate': async (p, signal) => {
      const chunks = new ChunkCoalescer((chunk) => notify('runtime/generateChunk', chunk));
      try {
        return await runtime.generate(p, (chunk) => chunks.push(chunk), signal);
      } finally {
        chunks.flush();
      }
    },
    'runtime/cancel': (p) => runtime.cancel(p.generationId),
    'runtime/tokenize': (p) => runtime.tokenize(p),
    'runtime/detokenize': (p) => runtime.detokenize(p),
    'runtime/logprobs': (p, signal) => runtime.logprobs(p, signal),
    'runtime/perplexity': (p, signal) => runtime.perplexity(p, signal),
    'runtime/download': async (p, signal) => {
      const controller = new AbortController();
      signal.addEventListener('abort', () => controller.abort());
      downloads.set(p.downloadId, controller);
      try {
        return await downloadModel({
          uri: p.uri,
          dirPath: p.dirPath,
          fileName: p.fileName,
          hfEndpoint: p.hfEndpoint,
          signal: controller.signal,
          onProgress: (s) => notify('runtime/downloadProgress', { downloadId: p.downloadId, ...s }),
          log: (level, message) => notify('runtime/log', { level, message, time: Date.now() }),
        });
      } finally {
        downloads.delete(p.downloadId);
      }
    },
    'runtime/cancelDownload': (p) => {
      const c = downloads.get(p.downloadId);
      c?.abort();
      return !!c;
    },
  });
  return runtime;
}
