// Public types of RuntimeClient: options, events, log lines, and where the child script is by default.
import path from 'node:path';
import type { ProcessLogLine, ProcessState, RestartOptions } from '../../process/ProcessClientOptions.js';
import type { DownloadProgress, GpuSetting, LoadProgress, RuntimeLogLevel } from '../../protocol/runtime.js';
import type { RuntimeCrashedError } from '../errors.js';

export type RuntimeState = ProcessState;

/** source — runtime: the runtime's own log; process: its stdout/stderr; client: this side (starts, crashes, reloads) */
export type RuntimeClientLogLine = ProcessLogLine;

export interface RuntimeClientEvents {
  log: [RuntimeClientLogLine];
  state: [RuntimeState];
  crash: [RuntimeCrashedError];
  loadProgress: [LoadProgress];
  downloadProgress: [DownloadProgress];
}

export interface RuntimeClientOptions {
  /** Script to fork. Default: defaultRuntimeEntry() (dist/runtime.js beside the bundle); a .ts file runs under tsx. */
  entry?: string;
  /** Node flags for the child. Default: ['--import', 'tsx'] for a .ts entry, none otherwise. */
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  gpu?: GpuSetting;
  logLevel?: RuntimeLogLevel;
  /** CPU threads per context (0 = automatic). */
  threads?: number;
  /** Restart delays: first, factor 2, up to max. A child that lived `stableMs` resets the delay. */
  restart?: RestartOptions;
  /** How many log lines to keep for `recentLog` and crash messages. Default 500. */
  logCapacity?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export type { Disposable } from '../../process/ProcessClientOptions.js';

/**
 * Where the runtime child's script is by default: dist/runtime.js beside the running bundle (the host's
 * dist/extension.cjs, or dist/cli.js). From source (tests, under tsx) pass `entry: <repo>/src/runtime/main.ts`;
 * a .ts entry runs with `--import tsx`. (No import.meta here: the host bundle is CommonJS.)
 */
export function defaultRuntimeEntry(): string {
  const bundle = typeof __filename === 'string' ? __filename : (process.argv[1] ?? '');
  return path.join(path.dirname(bundle), 'runtime.js');
}
