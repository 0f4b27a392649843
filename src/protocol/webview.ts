/**
 * The one message protocol between the extension host and every webview panel.
 *
 * Three shapes travel over `postMessage`:
 * - request   (webview → host): `{ kind: 'request', id, method, params }`, answered by exactly one response;
 * - response  (host → webview): `{ kind: 'response', id, ok, result | error }`;
 * - notification (either way):  `{ kind: 'notification', method, params }`, never answered.
 * Methods are named `scope/method`. The webview sends `webview/ready` once its script runs; the host queues every
 * notification until then, so state posted early is never lost.
 * Platform-free: the host, the webviews and the tests import this file.
 */

export const READY = 'webview/ready';

export interface RequestMessage<M extends string = string, P = unknown> {
  kind: 'request';
  id: number;
  method: M;
  params: P;
}

export interface ErrorInfo {
  /** Stable machine-readable code (ModelLabError.code, or INVALID_REQUEST / INTERNAL). */
  code: string;
  /** One line a user can act on; never a stack trace. */
  message: string;
}

export type ResponseMessage<R = unknown> =
  | { kind: 'response'; id: number; ok: true; result: R }
  | { kind: 'response'; id: number; ok: false; error: ErrorInfo };

export interface NotificationMessage<M extends string = string, P = unknown> {
  kind: 'notification';
  method: M;
  params: P;
}

export type WebviewMessage = RequestMessage | ResponseMessage | NotificationMessage;

/** A protocol: request methods (webview → host) with params/results, notifications each way. */
export interface PanelProtocol {
  requests: Record<string, { params: unknown; result: unknown }>;
  /** host → webview */
  toWebview: Record<string, unknown>;
  /** webview → host (besides `webview/ready`) */
  toHost: Record<string, unknown>;
}

export type RequestParams<P extends PanelProtocol, M extends keyof P['requests']> = P['requests'][M]['params'];
export type RequestResult<P extends PanelProtocol, M extends keyof P['requests']> = P['requests'][M]['result'];
