// runs/<id>/job.json: a job's record on disk, so jobs outlive the window (and the panel) that started them.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { JOB_FILE, type JobRecord, type JobState } from '../../protocol/jobs.js';
import { workspacePaths, writeJsonAtomic } from '../../workspace/index.js';

const STATES: readonly JobState[] = ['queued', 'running', 'done', 'failed', 'cancelled', 'crashed'];

/** The folder that holds every run folder of a data directory (`.model-lab/runs/`). */
export function runsFolder(dataDirectory: string): string {
  return workspacePaths(dataDirectory).runs;
}

export function writeJobRecord(record: JobRecord): Promise<void> {
  return writeJsonAtomic(path.join(record.runDir, JOB_FILE), record);
}

function parseJobRecord(value: unknown, runDir: string): JobRecord | null {
  const r = value as Partial<JobRecord> | null;
  if (!r || typeof r !== 'object' || typeof r.id !== 'string' || typeof r.kind !== 'string' || !STATES.includes(r.state as JobState)) return null;
  if (typeof r.createdAt !== 'string') return null;
  // the folder is the truth about where the run lives (the data folder may have moved)
  return { ...(r as JobRecord), runDir, title: typeof r.title === 'string' ? r.title : r.kind, attempts: typeof r.attempts === 'number' ? r.attempts : 0 };
}

/** Every readable job record under `<data>/runs/`, oldest first; folders without a job.json are other runs. */
export function readJobRecords(dataDirectory: string, problem: (message: string) => void = () => {}): JobRecord[] {
  const runs = runsFolder(dataDirectory);
  if (!existsSync(runs)) return [];
  const out: JobRecord[] = [];
  for (const e of readdirSync(runs, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const runDir = path.join(runs, e.name);
    const file = path.join(runDir, JOB_FILE);
    if (!existsSync(file)) continue;
    try {
      const r = parseJobRecord(JSON.parse(readFileSync(file, 'utf8')), runDir);
      if (r) out.push(r);
      else problem(`${file} is not a job record; skipped`);
    } catch (err) {
      problem(`${file} could not be read (${(err as Error).message}); skipped`);
    }
  }
  return out.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
}
