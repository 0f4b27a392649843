import { READY, type NotificationMessage, type PanelProtocol, type ResponseMessage } from '../../protocol/webview.js';
import { checkIncoming, type IncomingSchemas } from '../../protocol/webviewSchema.js';
import type { Disposable, PanelHandle } from '../vscodeApi/HostApi.js';
import { toErrorInfo } from './toErrorInfo.js';

export interface RequestContext {
  /** Fires when the panel closes: every job a request starts must stop then. */
  signal: AbortSignal;
}

export type RequestHandlers<P extends PanelProtocol> = {
  [M in keyof P['requests']]: (params: P['requests'][M]['params'], ctx: RequestContext) => Promise<P['requests'][M]['result']> | P['requests'][M]['result'];
};

export type NotificationHandlers<P extends PanelProtocol> = {
  [M in keyof P['toHost']]?: (params: P['toHost'][M]) => void;
};

export interface ChannelHandlers<P extends PanelProtocol> {
  requests: RequestHandlers<P>;
  notifications?: NotificationHandlers<P>;
  /** Called on every `webview/ready` (a webview that reloads says it again): post the full state here. */
  onReady?: () => void;
}

/**
 * The host end of one panel's protocol. Every incoming message is checked against the panel's schemas; anything
 * else is logged and ignored (an answerable bad request gets an INVALID_REQUEST error reply). Notifications to the
 * webview wait for its `ready`. Disposing (the panel closed) aborts `signal`, which cancels the panel's jobs.
 */
export class WebviewChannel<P extends PanelProtocol> implements Disposable {
  private ready = false;
  private queue: NotificationMessage[] = [];
  private readonly abort = new AbortController();
  private readonly subs: Disposable[];

  constructor(
    private readonly panel: PanelHandle,
    private readonly schemas: IncomingSchemas,
    private readonly handlers: ChannelHandlers<P>,
    private readonly log: (line: string) => void,
  ) {
    this.subs = [panel.onDidReceiveMessage((m) => void this.receive(m)), panel.onDidDispose(() => this.dispose())];
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get isReady(): boolean {
    return this.ready;
  }

  notify<M extends keyof P['toWebview'] & string>(method: M, params: P['toWebview'][M]): void {
    if (this.abort.signal.aborted) return;
    const msg: NotificationMessage = { kind: 'notification', method, params };
    if (!this.ready) this.queue.push(msg);
    else void this.post(msg);
  }

  private async post(msg: NotificationMessage | ResponseMessage): Promise<void> {
    try {
      await this.panel.postMessage(msg);
    } catch (e) {
      this.log(`[webview] could not post ${'method' in msg ? msg.method : `reply ${msg.id}`}: ${toErrorInfo(e).message}`);
    }
  }

  /** Public for tests and for hosts that route messages themselves. */
  async receive(raw: unknown): Promise<void> {
    if (this.abort.signal.aborted) return;
    const c = checkIncoming(this.schemas, raw);
    if (!c.ok) {
      this.log(`[webview] ignored a message: ${c.reason}`);
      if (c.id !== undefined) await this.post({ kind: 'response', id: c.id, ok: false, error: { code: 'INVALID_REQUEST', message: c.reason } });
      return;
    }
    if (c.kind === 'notification') {
      if (c.method === READY) {
        this.ready = true;
        const q = this.queue;
        this.queue = [];
        for (const m of q) await this.post(m);
        this.handlers.onReady?.();
        return;
      }
      const h = (this.handlers.notifications as Record<string, ((p: unknown) => void) | undefined> | undefined)?.[c.method];
      if (h) {
        try {
          h(c.params);
        } catch (e) {
          this.log(`[webview] ${c.method} failed: ${toErrorInfo(e).message}`);
        }
      }
      return;
    }
    const handler = (this.handlers.requests as Record<string, (p: unknown, ctx: RequestContext) => unknown>)[c.method];
    let reply: ResponseMessage;
    try {
      reply = { kind: 'response', id: c.id, ok: true, result: await handler(c.params, { signal: this.abort.signal }) };
    } catch (e) {
      reply = { kind: 'response', id: c.id, ok: false, error: toErrorInfo(e) };
    }
    if (!this.abort.signal.aborted) await this.post(reply);
  }

  dispose(): void {
    if (this.abort.signal.aborted) return;
    this.abort.abort();
    this.queue = [];
    for (const s of this.subs) s.dispose();
  }
}
