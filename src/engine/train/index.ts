// From-scratch and full-weight training on the engine: the loop, its checkpoints and its data windows.
export { trainModel, meanNll, type TrainData, type TrainOptions, type TrainProgress, type TrainResult, type TrainMetric } from './trainModel.js';
export { validateTrainConfig, TrainConfigError, type TrainConfig } from './TrainConfig.js';
export { TokenWindows } from './TokenWindows.js';
export { saveCheckpoint, loadCheckpoint, CheckpointError, type Checkpoint, type CheckpointMeta } from './checkpoint.js';
