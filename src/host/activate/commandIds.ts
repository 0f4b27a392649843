/** Every command Model Lab contributes (package.json `contributes.commands`); a test keeps the two equal. */
export const COMMANDS = {
  addModelFile: 'modelLab.addModelFile',
  downloadModel: 'modelLab.downloadModel',
  inspectModel: 'modelLab.inspectModel',
  openPlayground: 'modelLab.openPlayground',
  compareModels: 'modelLab.compareModels',
  pruneModel: 'modelLab.pruneModel',
  generateAlternatives: 'modelLab.generateAlternatives',
  tuneOnPreferences: 'modelLab.tuneOnPreferences',
  evaluate: 'modelLab.evaluate',
  showRuntimeLog: 'modelLab.showRuntimeLog',
  removeModel: 'modelLab.removeModel',
  loadModel: 'modelLab.loadModel',
  unloadModel: 'modelLab.unloadModel',
  refreshModels: 'modelLab.refreshModels',
  revealModelsFolder: 'modelLab.revealModelsFolder',
} as const;

/** Features whose commands exist in the manifest but whose work is not built yet, with their user-facing titles. */
export const NOT_YET_AVAILABLE: Record<string, string> = {};

export function notAvailableMessage(title: string): string {
  return `Model Lab: ${title} is not available yet in this version.`;
}
