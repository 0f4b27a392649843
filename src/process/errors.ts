// Errors of the child-process stack, and the one way errors cross JSON-RPC: the child sends { name, code } with a
// one-line message, the parent rebuilds an instance of the same class when that class registered itself here.
// Codes share one space across every process (RUNTIME_CRASHED, JOB_CRASHED, MODEL_FILE_INVALID, TRAIN_CONFIG…).
import { AbortedError, ModelLabError } from '../engine/errors.js';

/** A child process died while calls were pending (native abort, kill, out of memory…). */
export class ProcessCrashedError extends ModelLabError {
  override name = 'ProcessCrashedError';
  constructor(
    code: string,
    /** What died, for the message: 'The model runtime process', 'The job process'. */
    what: string,
    readonly exitCode: number | null,
    readonly signal: string | null,
    /** Last lines the process printed before it died (the reason is usually there). */
    readonly lastLog: string[] = [],
    /** What the user can do, e.g. 'it restarts by itself, retry the action'. */
    advice = 'it restarts by itself, retry the action',
  ) {
    const how = signal ? `signal ${signal}` : `exit code ${exitCode}`;
    const last = lastLog.length ? `; last log: ${lastLog[lastLog.length - 1]}` : '';
    super(code, `${what} stopped (${how}); ${advice}${last}`);
  }
}

/** An error that came back over JSON-RPC whose class is not registered here: keeps the remote name and code. */
export class RemoteError extends ModelLabError {
  constructor(
    readonly remoteName: string,
    code: string,
    message: string,
  ) {
    super(code, message);
    this.name = remoteName;
  }
}

type ErrorClass = abstract new (...args: never[]) => ModelLabError;
const revivable = new Map<string, ErrorClass>([['AbortedError', AbortedError]]);

/**
 * Lets `reviveError` rebuild these classes by name. Keys are the classes' `name` fields as sent on the wire (not
 * `Class.name`, which a minifier renames). Each error module registers its own classes when it loads.
 */
export function registerRevivableErrors(classes: Record<string, ErrorClass>): void {
  for (const [name, cls] of Object.entries(classes)) revivable.set(name, cls);
}

/**
 * Rebuilds an error that crossed JSON-RPC as `{ name, code, message }`: an instance of the same class when it is
 * registered (so `instanceof ModelFileError` holds in the host), else a RemoteError with that name.
 */
export function reviveError(name: string, code: string, message: string, where = 'a child process'): ModelLabError {
  const cls = revivable.get(name);
  if (!cls) return new RemoteError(name, code, message);
  // skip the constructor: the message is already composed
  const e = Object.create(cls.prototype) as ModelLabError;
  Object.defineProperties(e, {
    name: { value: name, writable: true, configurable: true },
    code: { value: code, writable: true, configurable: true },
    message: { value: message, writable: true, configurable: true },
    stack: { value: `${name}: ${message}\n    (in ${where})`, writable: true, configurable: true },
  });
  return e;
}

/** The wire form of any thrown value: ours keep name and code; anything else is INTERNAL with its first line. */
export function toErrorData(err: unknown): { name: string; code: string; message: string } {
  if (err instanceof ModelLabError) return { name: err.name, code: err.code, message: err.message };
  const e = err as Error | undefined;
  return { name: e?.name ?? 'Error', code: 'INTERNAL', message: (e?.message ?? String(err)).split('\n')[0]! };
}
