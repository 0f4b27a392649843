import type { JobRecord, JobState } from '../../protocol/jobs.js';
import type { JobService } from '../../jobs/service/JobService.js';
import type { Event, TreeNodeData, TreeSource } from '../vscodeApi/HostApi.js';
import { formatJobStatus } from './formatJob.js';
import { JOB_COMMANDS } from './jobCommandIds.js';

const ICONS: Record<JobState, string> = { queued: 'clock', running: 'sync~spin', done: 'pass', failed: 'error', cancelled: 'circle-slash', crashed: 'warning' };

/** Tree item data of a job; `contextValue` (`job.<state>`) drives its actions in package.json (cancel, resume…). */
export function jobNodeData(r: JobRecord): TreeNodeData {
  const lines = [r.title, `${r.kind} · ${r.state}`, `run folder: ${r.runDir}`, `created: ${r.createdAt}`];
  if (r.startedAt) lines.push(`started: ${r.startedAt}${r.attempts > 1 ? ` (attempt ${r.attempts})` : ''}`);
  if (r.endedAt) lines.push(`ended: ${r.endedAt}`);
  if (r.error) lines.push(`${r.error.code}: ${r.error.message}`);
  return {
    id: `job:${r.id}`,
    label: r.title,
    description: formatJobStatus(r),
    tooltip: lines.join('\n'),
    icon: ICONS[r.state],
    contextValue: `job.${r.state}`,
    collapsible: false,
    command: { command: JOB_COMMANDS.openJobLog, arguments: [r] },
  };
}

/** The Jobs view: every job of the data folder, newest first, refreshed on each change (progress included). */
export class JobsTreeSource implements TreeSource<JobRecord> {
  constructor(private readonly service: JobService) {}

  getChildren(parent: JobRecord | undefined): JobRecord[] {
    return parent ? [] : this.service.list();
  }

  toData(node: JobRecord): TreeNodeData {
    return jobNodeData(node);
  }

  readonly onDidChange: Event<void> = (l) => this.service.onDidChange(() => l());
}
