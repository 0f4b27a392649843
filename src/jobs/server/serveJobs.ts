// Serves the job kinds (src/jobs/kinds) on a connection: `jobs/run` runs one job with an AbortSignal that JSON-RPC
// cancellation fires, and streams its progress and log lines as notifications.
import type { MessageConnection } from 'vscode-jsonrpc/node.js';
import { ModelLabError } from '../../engine/errors.js';
import { serveMethods } from '../../process/serveMethods.js';
import type { JobNotifications, JobRequests } from '../../protocol/jobs.js';
import { JOB_KINDS } from '../kinds/index.js';
import type { JobKind } from '../kinds/JobKind.js';

export function serveJobs(connection: MessageConnection): void {
  const notify = <N extends keyof JobNotifications>(method: N, payload: JobNotifications[N]): void => {
    void connection.sendNotification(method, payload).catch(() => {});
  };
  serveMethods<JobRequests>(connection, {
    'jobs/run': ({ jobId, kind, runDir, params }, signal) => {
      const k = (JOB_KINDS as Record<string, JobKind<unknown, unknown>>)[kind];
      if (!k) throw new ModelLabError('JOB_UNKNOWN_KIND', `This version of Model Lab has no job kind '${kind}' (it has ${Object.keys(JOB_KINDS).join(', ')}).`);
      return k.run(params, {
        runDir,
        signal,
        progress: (p) => notify('jobs/progress', { jobId, ...p }),
        log: (line) => notify('jobs/log', { jobId, line }),
      });
    },
    'jobs/kinds': () => Object.keys(JOB_KINDS),
  });
}
