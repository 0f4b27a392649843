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
