// The start of every child process's main.ts: refuse to run without the fork IPC channel, open the JSON-RPC
// connection, and exit when the parent goes away (nobody is left to report to).
import { createMessageConnection, IPCMessageReader, IPCMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node.js';

/**
 * Opens the connection to the parent and hands it to `serve` (which registers handlers and may return a cleanup,
 * e.g. freeing native memory). The parent closing the channel, or SIGTERM, runs the cleanup (at most 2 s) and exits.
 */
export function runChildMain(name: string, serve: (connection: MessageConnection) => (() => Promise<unknown>) | void): void {
  if (!process.send) {
    process.stderr.write(`model-lab ${name}: start me with child_process.fork (I need an IPC channel)\n`);
    process.exit(2);
  }
  const connection = createMessageConnection(new IPCMessageReader(process), new IPCMessageWriter(process));
  const cleanup = serve(connection);
  let closing = false;
  const shutdown = (code: number): void => {
    if (closing) return;
    closing = true;
    // free resources politely, but never hang on it
    setTimeout(() => process.exit(code), 2000).unref();
    void Promise.resolve(cleanup?.()).finally(() => process.exit(code));
  };
  process.on('disconnect', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));
  connection.onClose(() => shutdown(0));
  connection.listen();
}
