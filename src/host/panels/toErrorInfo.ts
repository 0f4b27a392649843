import type { ErrorInfo } from '../../protocol/webview.js';

/** A one-line, user-facing view of any thrown value: the code of a ModelLabError, never a stack trace. */
export function toErrorInfo(e: unknown): ErrorInfo {
  if (e && typeof e === 'object') {
    const o = e as { code?: unknown; message?: unknown; name?: unknown };
    const message = typeof o.message === 'string' && o.message.trim() !== '' ? o.message.trim().split('\n')[0] : 'Something went wrong.';
    const code = typeof o.code === 'string' ? o.code : o.name === 'AbortError' ? 'ABORTED' : 'INTERNAL';
    return { code, message };
  }
  return { code: 'INTERNAL', message: typeof e === 'string' && e.trim() ? e.trim().split('\n')[0] : 'Something went wrong.' };
}
