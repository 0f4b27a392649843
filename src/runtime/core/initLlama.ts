import type { Llama, LlamaLogLevel } from 'node-llama-cpp';
import type { GpuBackend, GpuSetting, RuntimeLogLevel } from '../../protocol/runtime.js';

export type NodeLlamaCpp = typeof import('node-llama-cpp');
export type RuntimeLogger = (level: RuntimeLogLevel, message: string) => void;

export interface InitializedLlama {
  llama: Llama;
  lib: NodeLlamaCpp;
  requested: GpuSetting;
  backend: GpuBackend;
  /** Why the requested GPU backend is not in use (undefined when it is, or when CPU was asked for). */
  fallback?: string;
}

let libPromise: Promise<NodeLlamaCpp> | undefined;
/** node-llama-cpp is ESM-only and finds its binaries next to itself: always load it dynamically, never bundle it. */
export function loadNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  libPromise ??= import('node-llama-cpp');
  return libPromise;
}

const levelOrder: RuntimeLogLevel[] = ['error', 'warn', 'info', 'debug'];

function toRuntimeLevel(level: LlamaLogLevel | string): RuntimeLogLevel {
  switch (level) {
    case 'fatal':
    case 'error':
      return 'error';
    case 'warn':
      return 'warn';
    case 'info':
    case 'log':
      return 'info';
    default:
      return 'debug';
  }
}

/**
 * Starts llama.cpp with the requested GPU backend. A backend that cannot start (no binary, no driver, no device)
 * falls back to the CPU, and the result and the log say why.
 */
export async function initLlama(
  requested: GpuSetting = 'auto',
  log: RuntimeLogger = () => {},
  logLevel: RuntimeLogLevel = 'warn',
): Promise<InitializedLlama> {
  const lib = await loadNodeLlamaCpp();
  const threshold = levelOrder.indexOf(logLevel);
  const nativeLevel = { error: lib.LlamaLogLevel.error, warn: lib.LlamaLogLevel.warn, info: lib.LlamaLogLevel.info, debug: lib.LlamaLogLevel.debug };
  const options = {
    build: 'never' as const,
    // filter in llama.cpp, not here: below the threshold a message should cost nothing (some are per batch)
    logLevel: nativeLevel[logLevel],
    logger: (level: LlamaLogLevel, message: string) => {
      const l = toRuntimeLevel(level);
      const text = message.trimEnd();
      if (text && levelOrder.indexOf(l) <= threshold) log(l, `llama.cpp: ${text}`);
    },
  };
  const gpu = requested === 'off' ? false : requested;
  let fallback: string | undefined;
  let llama: Llama;
  try {
    llama = await lib.getLlama({ ...options, gpu });
  } catch (err) {
    if (gpu === false) throw err;
    fallback = `GPU backend '${requested}' failed to start (${firstLine(err)}); using the CPU`;
    log('warn', fallback);
    llama = await lib.getLlama({ ...options, gpu: false });
  }
  const backend: GpuBackend = llama.gpu === false ? 'cpu' : llama.gpu;
  if (!fallback && requested !== 'off' && backend === 'cpu') {
    fallback = requested === 'auto' ? 'No usable GPU found; using the CPU' : `GPU backend '${requested}' is not available; using the CPU`;
    log(requested === 'auto' ? 'info' : 'warn', fallback);
  }
  return { llama, lib, requested, backend, fallback };
}

export function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]!.trim();
}
