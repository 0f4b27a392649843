// Entry of the job process (bundled to dist/jobs.js; run from source under tsx in tests): long CPU work on the
// engine — the job kinds of src/jobs/kinds — with progress and cancellation, away from the extension host. The
// parent talks to it over the fork IPC channel with JSON-RPC (src/protocol/jobs.ts); see JobClient. When the
// parent goes away the process exits; interrupted jobs resume from their checkpoints when started again.
import { runChildMain } from '../process/runChildMain.js';
import { serveJobs } from './server/serveJobs.js';

runChildMain('jobs', (connection) => serveJobs(connection));
