// The host side of jobs: the job service over the job process, the Jobs view, the running job in the status bar,
// and the job commands. Everything goes through HostApi, so unit tests drive it with the stub.
import path from 'node:path';
import { JobService, type JobRunner } from '../../jobs/service/JobService.js';
import { RESUMABLE_STATES, type JobRecord, type JobState } from '../../protocol/jobs.js';
import type { ModelLabSettings } from '../settings/readSettings.js';
import type { Disposable, HostApi } from '../vscodeApi/HostApi.js';
import { jobOutputPath } from './formatJob.js';
import { JOB_COMMANDS, JOBS_VIEW } from './jobCommandIds.js';
import { JobStatusBar } from './JobStatusBar.js';
import { JobsTreeSource } from './JobsTreeSource.js';
import { quickTrainParams } from './quickTrainParams.js';

/** The job process as the host sees it (JobClient; a stand-in in unit tests). */
export interface HostJobRunner extends JobRunner {
  /** Lines the job process printed and its client logged. */
  onLog(listener: (line: string) => void): Disposable;
  dispose(): unknown;
}

export interface JobsDeps {
  createRunner: () => HostJobRunner;
  settings: () => ModelLabSettings;
  log: (line: string) => void;
  /** Starts a part on its own: one that throws is logged and stays off (activateModelLab's feature()). */
  feature: <T>(name: string, start: () => T) => T | null;
}

export interface ModelLabJobs {
  service: JobService;
  handlers: Record<string, (...args: unknown[]) => unknown>;
  /** Resolves when the data folder's job records are read (interrupted jobs offered for resume). */
  loaded: Promise<void>;
}

export function activateJobs(api: HostApi, deps: JobsDeps, subscriptions: Disposable[]): ModelLabJobs {
  const runner = deps.createRunner();
  const service = new JobService({ runner, dataDirectory: () => deps.settings().dataDirectory, log: deps.log });
  const logSub = runner.onLog((line) => service.processLog(line));
  // the service first: a job the closing window leaves running stays 'running' on disk, offered for resume next time
  subscriptions.push({ dispose: () => (logSub.dispose(), service.dispose(), runner.dispose()) });

  deps.feature('jobs view', () => subscriptions.push(api.window.createTree(JOBS_VIEW, new JobsTreeSource(service))));
  deps.feature('job status bar', () => subscriptions.push(new JobStatusBar(api.window.createStatusItem('modelLab.jobStatus'), service)));

  // Say when a job ends (the Jobs view shows it too, but a person may be elsewhere by then). A failure is a
  // warning: the job's log says why, and it can be resumed.
  const lastState = new Map<string, JobState>();
  subscriptions.push(
    service.onDidChange((r) => {
      if (!r || lastState.get(r.id) === r.state) return;
      const was = lastState.get(r.id);
      lastState.set(r.id, r.state);
      if (was !== 'running') return;
      if (r.state === 'done') {
        void api.window.showInformation(`Model Lab: ${r.title} finished.`, 'Open Result').then((a) => a && api.commands.execute(JOB_COMMANDS.openJobResult, r.id));
      } else if (r.state === 'failed' || r.state === 'crashed') {
        void api.window.showWarning(`Model Lab: ${r.title} ${r.state}: ${r.error?.message ?? 'see its log'}`, 'Open Log').then((a) => a && api.commands.execute(JOB_COMMANDS.openJobLog, r.id));
      }
    }),
  );

  const offerResume = async (): Promise<void> => {
    const interrupted = await service.load();
    if (interrupted.length === 0) return;
    const names = interrupted.map((r) => r.title).join(', ');
    const a = await api.window.showWarning(`Model Lab: ${interrupted.length === 1 ? 'a job' : `${interrupted.length} jobs`} stopped before the end (${names}). Resume from the last checkpoint?`, 'Resume', 'Show Jobs');
    if (a === 'Resume') for (const r of interrupted) service.resume(r.id);
    if (a === 'Show Jobs') await api.commands.execute(`${JOBS_VIEW}.focus`);
  };
  const loaded = offerResume().catch((e) => deps.log(`[jobs] reading the job records failed: ${(e as Error).message}`));
  subscriptions.push(api.workspace.onDidGrantTrust(() => void offerResume().catch(() => undefined)));

  /** The job a command is about: the tree node it was run on, or one the user picks among those it applies to. */
  const pickJob = async (arg: unknown, states: readonly JobState[], what: string): Promise<JobRecord | undefined> => {
    const id = typeof arg === 'string' ? arg : (arg as JobRecord | undefined)?.id;
    if (id) return service.get(id);
    const candidates = service.list().filter((r) => states.includes(r.state));
    if (candidates.length === 0) {
      void api.window.showInformation(`Model Lab: there is no job to ${what}.`);
      return undefined;
    }
    if (candidates.length === 1) return candidates[0];
    const pick = await api.window.pickOne(
      candidates.map((r) => ({ label: r.title, description: r.state, detail: r.runDir, record: r })),
      { title: `Model Lab: ${what[0]!.toUpperCase()}${what.slice(1)}` },
    );
    return pick?.record;
  };
  const ALL: readonly JobState[] = ['queued', 'running', 'done', 'failed', 'cancelled', 'crashed'];

  const handlers: ModelLabJobs['handlers'] = {
    [JOB_COMMANDS.trainQuickModel]: async () => {
      const folder = api.workspace.folders()[0];
      if (!folder || !deps.settings().dataDirectory) {
        void api.window.showError('Model Lab: training reads the text files of the workspace and writes into its .model-lab folder; open a trusted folder first.');
        return undefined;
      }
      const tokenizer = path.join(api.extensionPath, 'media', 'models', 'demo.gguf');
      const r = await service.start('train', quickTrainParams(folder, tokenizer), 'Train demo-sized model (quick)');
      void api.window.showInformation(`Model Lab: training started (${r.id}); follow it in the Jobs view.`);
      return r.id;
    },
    [JOB_COMMANDS.cancelJob]: async (arg) => {
      const r = await pickJob(arg, ['running', 'queued'], 'cancel');
      if (r && !service.cancel(r.id)) void api.window.showInformation(`Model Lab: ${r.title} has already ended (${r.state}).`);
    },
    [JOB_COMMANDS.resumeJob]: async (arg) => {
      const r = await pickJob(arg, RESUMABLE_STATES, 'resume');
      if (!r) return;
      service.resume(r.id);
      void api.window.showInformation(`Model Lab: ${r.title} is queued again; it continues from its last checkpoint.`);
    },
    [JOB_COMMANDS.openJobLog]: async (arg) => {
      const r = await pickJob(arg, ALL, 'show the log of');
      if (r) await api.window.openFile(service.logPath(r.id));
    },
    [JOB_COMMANDS.openJobResult]: async (arg) => {
      const r = await pickJob(arg, ['done'], 'open the result of');
      if (!r) return;
      const out = jobOutputPath(r);
      if (r.state !== 'done' || !out) {
        void api.window.showInformation(`Model Lab: ${r.title} has no result yet (${r.state}).`);
        return;
      }
      await api.window.openFile(out);
    },
  };
  return { service, handlers, loaded };
}
