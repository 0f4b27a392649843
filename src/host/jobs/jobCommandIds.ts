/** The Jobs view's commands (package.json `contributes.commands`; the manifest test keeps them registered). */
export const JOB_COMMANDS = {
  trainQuickModel: 'modelLab.trainQuickModel',
  cancelJob: 'modelLab.cancelJob',
  resumeJob: 'modelLab.resumeJob',
  openJobLog: 'modelLab.openJobLog',
  openJobResult: 'modelLab.openJobResult',
} as const;

export const JOBS_VIEW = 'modelLab.jobs';
