// Entry of the job process (bundled to dist/jobs.js; run from source under tsx in tests): long CPU work on the
// engine — training for now — with progress and cancellation, away from the extension host. The parent talks to it
// over the fork IPC channel with JSON-RPC (src/protocol/jobs.ts); see JobClient.
import { createMessageConnection, IPCMessageReader, IPCMessageWriter } from 'vscode-jsonrpc/node.js';
import { serveJobs } from './server/serveJobs.js';

if (!process.send) {
  process.stderr.write('model-lab jobs: start me with child_process.fork (I need an IPC channel)\n');
  process.exit(2);
}

const connection = createMessageConnection(new IPCMessageReader(process), new IPCMessageWriter(process));
serveJobs(connection);
// The parent went away: nobody is left to report to. Running jobs resume from their checkpoints next time.
process.on('disconnect', () => process.exit(0));
connection.onClose(() => process.exit(0));
connection.listen();
