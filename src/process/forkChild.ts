import { fork, type ChildProcess } from 'node:child_process';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node.js';
import { LineBuffer } from './LineBuffer.js';

/** One run of a child process: the process, its JSON-RPC connection, and what it printed last. */
export interface ChildRun {
  child: ChildProcess;
  connection: MessageConnection;
  /** Resolves once the process has exited and its stdout/stderr are drained. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  startedAt: number;
  /** Last lines the process printed (stdout/stderr): a native abort explains itself there. */
  output: string[];
  /** Set when we stopped it on purpose ('restarted', 'shut down'). */
  stoppedBecause?: string;
}

export interface ForkChildOptions {
  entry: string;
  execArgv: string[];
  env?: NodeJS.ProcessEnv;
  /** Every line the process prints; stderr lines have `isError`. */
  onOutput: (line: string, isError: boolean) => void;
}

/** Forks a child script with an IPC channel and a JSON-RPC connection over it (not yet listening). */
export function forkChild(opts: ForkChildOptions): ChildRun {
  // ELECTRON_RUN_AS_NODE: inside VS Code, process.execPath is the editor binary; this makes it a plain Node
  const child = fork(opts.entry, [], {
    execArgv: opts.execArgv,
    env: { ...process.env, ...opts.env, ELECTRON_RUN_AS_NODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const output: string[] = [];
  const line = (isError: boolean) => (l: string): void => {
    output.push(l);
    if (output.length > 5) output.shift();
    opts.onOutput(l, isError);
  };
  const out = new LineBuffer(line(false));
  const err = new LineBuffer(line(true));
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  child.stderr?.on('data', (d: Buffer) => err.push(d));
  const connection = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
  connection.onError(() => {});
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close', not 'exit': it comes after stdout/stderr are drained, so a dying process's last words are kept
    child.once('close', (code, signal) => {
      out.flush();
      err.flush();
      resolve({ code, signal });
    });
  });
  return { child, connection, exited, startedAt: Date.now(), output };
}
