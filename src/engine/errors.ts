/**
 * Base of every error Model Lab raises on purpose. `code` is stable and machine-readable; `message` is one line
 * a user can act on. Child processes send errors across JSON-RPC as `{ name, code, message }` and rebuild them.
 */
export class ModelLabError extends Error {
  override name = 'ModelLabError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  toJSON(): { name: string; code: string; message: string } {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/** The operation was cancelled through an AbortSignal. */
export class AbortedError extends ModelLabError {
  override name = 'AbortedError';
  constructor(message = 'Cancelled.') {
    super('ABORTED', message);
  }
}

/** Throws AbortedError when the signal has fired; call between steps of long work. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError();
}
