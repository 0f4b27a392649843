// Wires a JSON-RPC connection to a LlamaRuntime: one handler per request of src/protocol/runtime.ts.
import { CancellationToken, ResponseError, type MessageConnection } from 'vscode-jsonrpc/node.js';
import { ModelLabError } from '../../engine/errors.js';
import {
  RUNTIME_ERROR_CODE,
  type RuntimeErrorData,
  type RuntimeNotificationMethod,
  type RuntimeNotifications,
  type RuntimeRequests,
  type RuntimeMethod,
} from '../../protocol/runtime.js';
import { LlamaRuntime } from '../core/LlamaRuntime.js';
import { downloadModel } from '../download/downloadModel.js';
import { ChunkCoalescer } from './ChunkCoalescer.js';

type Handler<M extends RuntimeMethod> = (params: RuntimeRequests[M]['params'], signal: AbortSignal) => Promise<RuntimeRequests[M]['result']> | RuntimeRequests[M]['result'];

function toResponseError(err: unknown): ResponseError<RuntimeErrorData> {
  if (err instanceof ModelLabError) return new ResponseError(RUNTIME_ERROR_CODE, err.message, { name: err.name, code: err.code });
  const e = err as Error;
  const message = (e?.message ?? String(err)).split('\n')[0]!;
  return new ResponseError(RUNTIME_ERROR_CODE, message, { name: e?.name ?? 'Error', code: 'INTERNAL' });
}

function tokenToSignal(token: CancellationToken): AbortSignal {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  else token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}

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

  const handle = <M extends RuntimeMethod>(method: M, fn: Handler<M>): void => {
    connection.onRequest(method, async (params: RuntimeRequests[M]['params'], token: CancellationToken) => {
      try {
        return await fn(params, tokenToSignal(token));
      } catch (err) {
        throw toResponseError(err);
      }
    });
  };

  handle('runtime/initialize', (p) => runtime.initialize(p));
  handle('runtime/backendInfo', () => runtime.backendInfo());
  handle('runtime/loadModel', (p, signal) => runtime.loadModel(p, signal));
  handle('runtime/unloadModel', (p) => runtime.unloadModel(p.id));
  handle('runtime/listModels', () => runtime.listModels());
  handle('runtime/createSession', (p, signal) => runtime.createSession(p, signal));
  handle('runtime/disposeSession', (p) => runtime.disposeSession(p.id));
  handle('runtime/resetSession', (p) => runtime.resetSession(p.id));
  handle('runtime/generate', async (p, signal) => {
    const chunks = new ChunkCoalescer((chunk) => notify('runtime/generateChunk', chunk));
    try {
      return await runtime.generate(p, (chunk) => chunks.push(chunk), signal);
    } finally {
      chunks.flush();
    }
  });
  handle('runtime/cancel', (p) => runtime.cancel(p.generationId));
  handle('runtime/tokenize', (p) => runtime.tokenize(p));
  handle('runtime/detokenize', (p) => runtime.detokenize(p));
  handle('runtime/logprobs', (p, signal) => runtime.logprobs(p, signal));
  handle('runtime/perplexity', (p, signal) => runtime.perplexity(p, signal));
  handle('runtime/download', async (p, signal) => {
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
      });
    } finally {
      downloads.delete(p.downloadId);
    }
  });
  handle('runtime/cancelDownload', (p) => {
    const c = downloads.get(p.downloadId);
    c?.abort();
    return !!c;
  });
  return runtime;
}
