// Errors of the runtime layer. Each has a stable `code`; messages are one line a user can act on.
import { ModelLabError } from '../engine/errors.js';
import { ProcessCrashedError, registerRevivableErrors } from '../process/errors.js';

/** The runtime process died while this call was pending (native abort, kill, out of memory…). */
export class RuntimeCrashedError extends ProcessCrashedError {
  override name = 'RuntimeCrashedError';
  constructor(exitCode: number | null, signal: string | null, lastLog: string[] = []) {
    super('RUNTIME_CRASHED', 'The model runtime process', exitCode, signal, lastLog);
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

/**
 * HOST_NOT_FOUND: the name does not resolve; HOST_UNREACHABLE: no TCP connection; DOWNLOAD_STALLED: no byte
 * arrived for the stall time; the rest as named.
 */
export type DownloadErrorCode = 'DOWNLOAD_FAILED' | 'DISK_FULL' | 'DOWNLOAD_CORRUPT' | 'BAD_MODEL_URI' | 'HOST_NOT_FOUND' | 'HOST_UNREACHABLE' | 'DOWNLOAD_STALLED';

/** Download problems: network, disk space, corrupt result. */
export class DownloadError extends ModelLabError {
  override name = 'DownloadError';
  constructor(code: DownloadErrorCode, message: string) {
    super(code, message);
  }
}

// The host rebuilds these by name when the runtime process sends them (src/process/errors.ts).
registerRevivableErrors({ ModelFileError, NotLoadedError, LlamaError, DownloadError, RuntimeUnavailableError });
