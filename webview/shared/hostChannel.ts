/**
 * The webview end of the panel protocol (src/protocol/webview.ts): typed requests that resolve with the host's
 * reply, typed notification handlers, and the `webview/ready` handshake.
 */
import { READY, type ErrorInfo, type PanelProtocol } from '../../src/protocol/webview.js';

interface VsCodeWebviewApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeWebviewApi;

/** A failed request: carries the host's one-line message and code. */
export class HostError extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.message);
  }
}

export class HostChannel<P extends PanelProtocol> {
  private readonly vscode = acquireVsCodeApi();
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private readonly handlers = new Map<string, Array<(p: unknown) => void>>();

  constructor() {
    window.addEventListener('message', (e: MessageEvent) => this.receive(e.data));
  }

  request<M extends keyof P['requests'] & string>(method: M, params: P['requests'][M]['params']): Promise<P['requests'][M]['result']> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.vscode.postMessage({ kind: 'request', id, method, params });
    });
  }

  notify<M extends keyof P['toHost'] & string>(method: M, params: P['toHost'][M]): void {
    this.vscode.postMessage({ kind: 'notification', method, params });
  }

  on<M extends keyof P['toWebview'] & string>(method: M, handler: (params: P['toWebview'][M]) => void): void {
    const list = this.handlers.get(method) ?? [];
    list.push(handler as (p: unknown) => void);
    this.handlers.set(method, list);
  }

  /** Call once every handler is registered: the host then posts its state. */
  ready(): void {
    this.vscode.postMessage({ kind: 'notification', method: READY, params: {} });
  }

  getState<T>(): T | undefined {
    return (this.vscode.getState() as T | undefined) ?? undefined;
  }

  setState(state: unknown): void {
    this.vscode.setState(state);
  }

  private receive(m: unknown): void {
    if (!m || typeof m !== 'object') return;
    const msg = m as { kind?: unknown; id?: unknown; ok?: unknown; result?: unknown; error?: ErrorInfo; method?: unknown; params?: unknown };
    if (msg.kind === 'response' && typeof msg.id === 'number') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok === true) p.resolve(msg.result);
      else p.reject(new HostError(msg.error ?? { code: 'INTERNAL', message: 'The request failed.' }));
    } else if (msg.kind === 'notification' && typeof msg.method === 'string') {
      for (const h of this.handlers.get(msg.method) ?? []) h(msg.params);
    }
  }
}
