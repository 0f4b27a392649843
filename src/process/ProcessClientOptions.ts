// Public types of ProcessClient: options, events, log lines.
import type { MessageConnection } from 'vscode-jsonrpc/node.js';
import type { ModelLabError } from '../engine/errors.js';
import type { ProcessCrashedError } from './errors.js';

export type ProcessState = 'stopped' | 'starting' | 'ready' | 'restarting' | 'failed' | 'disposed';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface ProcessLogLine {
  level: LogLevel;
  message: string;
  time: number;
  /** child: the child's own log notifications; process: its stdout/stderr; client: this side (starts, crashes) */
  source: string;
}

export interface ProcessClientEvents {
  log: [ProcessLogLine];
  state: [ProcessState];
  crash: [ProcessCrashedError];
}

export interface Disposable {
  dispose(): void;
}

export interface RestartOptions {
  initialDelayMs?: number;
  maxDelayMs?: number;
  maxAttempts?: number;
  /** A child that lived this long resets the delay. */
  stableMs?: number;
}

export interface ProcessClientOptions {
  /** Short name in log lines: 'runtime', 'job process'. */
  label: string;
  /** Start of user-facing messages: 'The model runtime', 'The job process'. */
  title: string;
  /** Script to fork; a .ts file runs under tsx. */
  entry: string;
  /** Node flags for the child. Default: ['--import', 'tsx'] for a .ts entry, none otherwise. */
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  /** Restart delays: first, factor 2, up to max. */
  restart?: RestartOptions;
  /** How many log lines to keep for `recentLog`. Default 500. */
  logCapacity?: number;
  /** Append every log line (the child's stdout/stderr among them) to this file, for the user to open. */
  logFile?: string;
  /** The error pending calls reject with when the child dies. */
  crashError: (exitCode: number | null, signal: NodeJS.Signals | null, lastLog: string[]) => ProcessCrashedError;
  /** The error for a child that cannot be used (no entry, shut down, stopped answering). */
  unavailableError: (message: string) => ModelLabError;
  /** What the user can do once restarts stopped, for the log. */
  giveUpAdvice?: string;
  /** Registers notification handlers on each new connection (before it listens). */
  onConnection?: (connection: MessageConnection) => void;
}
