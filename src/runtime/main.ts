// Entry of the runtime child process (bundled to dist/runtime.js; run from source under tsx in tests).
// It owns node-llama-cpp, so a native abort costs this process, never the extension host. The parent talks to it
// over the fork IPC channel with JSON-RPC (src/protocol/runtime.ts); see RuntimeClient.
import { runChildMain } from '../process/runChildMain.js';
import { serveRuntime } from './server/serveRuntime.js';

// on exit, free native memory politely (runChildMain never waits on it for more than 2 s)
runChildMain('runtime', (connection) => {
  const runtime = serveRuntime(connection);
  return () => runtime.dispose();
});
