// Entry of the runtime child process (bundled to dist/runtime.js; run from source under tsx in tests).
// It owns node-llama-cpp, so a native abort costs this process, never the extension host. The parent talks to it
// over the fork IPC channel with JSON-RPC (src/protocol/runtime.ts); see RuntimeClient.
import { createMessageConnection, IPCMessageReader, IPCMessageWriter } from 'vscode-jsonrpc/node.js';
import { serveRuntime } from './server/serveRuntime.js';

if (!process.send) {
  process.stderr.write('model-lab runtime: start me with child_process.fork (I need an IPC channel)\n');
  process.exit(2);
}

const connection = createMessageConnection(new IPCMessageReader(process), new IPCMessageWriter(process));
const runtime = serveRuntime(connection);
let closing = false;
const shutdown = (code: number): void => {
  if (closing) return;
  closing = true;
  // free native memory politely, but never hang on it
  setTimeout(() => process.exit(code), 2000).unref();
  void runtime.dispose().finally(() => process.exit(code));
};
// the parent went away (closed the channel or died): nobody is left to serve
process.on('disconnect', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));
connection.onClose(() => shutdown(0));
connection.listen();
