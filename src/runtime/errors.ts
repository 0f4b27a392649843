// Errors of the runtime layer. Each has a stable `code`; messages are one line a user can act on.
import { AbortedError, ModelLabError } from '../engine/errors.js';

/** The runtime process died while this call was pending (native abort, kill, out of memory…). */
export class RuntimeCrashedError extends ModelLabError {
  override name = 'RuntimeCrashedError';
  constructor(
    readonly exitCode: number | null,
    readonly signal: string | null,
    /** Last lines the process logged before it died (the reason is usually there). */
    readonly lastLog: string[] = [],
  ) {
    const how = signal ? `signal ${signal}` : `exit code ${exitCode}`;
    const last = lastLog.length ? `; last log: ${lastLog[lastLog.length - 1]}` : '';
    super('RUNTIME_CRASHED', `The model runtime process stopped (${how}); it restarts by itself, retry the action${last}`);
  }
}

/** The client was disposed, or the runtime could not be started. */
export class RuntimeUnavailableError extends ModelLabError {
  override name = 'RuntimeUnavailableError';
  constructor(message: string) {
    super('RUNTIME_UNAVAILABLE', message);
  }
}

/** A model or adapter file failed our validation (before llama.cpp saw it). */
export class ModelFileError extends ModelLabError {
  override name = 'ModelFileError';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super('MODEL_FILE_INVALID', `${path}: ${reason}`);
  }
}

/** A call named a model, session or generation the runtime does not hold. */
export class NotLoadedError extends ModelLabError {
  override name = 'NotLoadedError';
  constructor(what: string, id: string) {
    super('NOT_LOADED', `No ${what} '${id}' is loaded in the runtime`);
  }
}

/** llama.cpp refused an operation (load, context creation, evaluation). */
export class LlamaError extends ModelLabError {
  override name = 'LlamaError';
  constructor(message: string, code = 'LLAMA_FAILED') {
    super(code, message);
  }
}

/** Download problems: network, disk space, corrupt result. */
export class DownloadError extends ModelLabError {
  override name = 'DownloadError';
  constructor(code: 'DOWNLOAD_FAILED' | 'DISK_FULL' | 'DOWNLOAD_CORRUPT' | 'BAD_MODEL_URI', message: string) {
    super(code, message);
  }
}

/** An error that came back over JSON-RPC: keeps the remote class name and code. */
export class RemoteRuntimeError extends ModelLabError {
  constructor(
    readonly remoteName: string,
    code: string,
    message: string,
  ) {
    super(code, message);
    this.name = remoteName;
  }
}

const revivable: Record<string, new (...args: never[]) => ModelLabError> = {
  ModelFileError,
  NotLoadedError,
  LlamaError,
  DownloadError,
  RuntimeUnavailableError,
  AbortedError,
};

/**
 * Rebuilds an error that crossed JSON-RPC as `{ name, code, message }`: an instance of the same class when it is
 * one of ours (so `instanceof ModelFileError` holds in the host), else a RemoteRuntimeError with that name.
 */
export function reviveRuntimeError(name: string, code: string, message: string): ModelLabError {
  const cls = revivable[name];
  if (!cls) return new RemoteRuntimeError(name, code, message);
  // skip the constructor: the message is already composed
  const e = Object.create(cls.prototype) as ModelLabError;
  Object.defineProperties(e, {
    name: { value: name, writable: true, configurable: true },
    code: { value: code, writable: true, configurable: true },
    message: { value: message, writable: true, configurable: true },
    stack: { value: `${name}: ${message}\n    (in the runtime process)`, writable: true, configurable: true },
  });
  return e;
}
