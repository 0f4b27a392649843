/** Commands of the Preferences (dataset) view; package.json contributes each one. */
export const DATASET_COMMANDS = {
  refresh: 'modelLab.dataset.refresh',
  filter: 'modelLab.dataset.filter',
  editRecord: 'modelLab.dataset.editRecord',
  deleteRecord: 'modelLab.dataset.deleteRecord',
  /** Run by VS Code when an inline suggestion is accepted (hidden from the palette). */
  suggestionAccepted: 'modelLab.suggestionAccepted',
  thumbsDownSuggestion: 'modelLab.thumbsDownSuggestion',
} as const;
