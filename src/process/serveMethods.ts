// Child side of the process stack: typed handlers for a method map, each given an AbortSignal that JSON-RPC
// cancellation fires, and errors sent back as { name, code } with a one-line message (see errors.ts).
import { ResponseError, type CancellationToken, type MessageConnection } from 'vscode-jsonrpc/node.js';
import { MODEL_LAB_ERROR_CODE, type RequestMap, type RpcErrorData } from '../protocol/rpc.js';
import { toErrorData } from './errors.js';

export type Handlers<R extends RequestMap<R>> = {
  [M in keyof R]: (params: R[M]['params'], signal: AbortSignal) => Promise<R[M]['result']> | R[M]['result'];
};

function tokenToSignal(token: CancellationToken): AbortSignal {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  else token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}

/** Registers one handler per method of the map on `connection`. */
export function serveMethods<R extends RequestMap<R>>(connection: MessageConnection, handlers: Handlers<R>): void {
  for (const method of Object.keys(handlers) as Array<keyof R & string>) {
    const fn = handlers[method];
    connection.onRequest(method, async (params: R[typeof method]['params'], token: CancellationToken) => {
      try {
        return await fn(params, tokenToSignal(token));
      } catch (err) {
        const { name, code, message } = toErrorData(err);
        throw new ResponseError<RpcErrorData>(MODEL_LAB_ERROR_CODE, message, { name, code });
      }
    });
  }
}
