// Training on the engine: the one loop (runTrainingLoop) with pluggable objectives, its checkpoints and data order.
export { trainModel, meanNll, pretrainingObjective, type TrainData, type TrainOptions, type TrainProgress, type TrainResult, type TrainMetric } from './trainModel.js';
export { validateTrainConfig, TrainConfigError, type TrainConfig } from './TrainConfig.js';
export { TokenWindows } from './TokenWindows.js';
export { saveCheckpoint, loadCheckpoint, CheckpointError, type Checkpoint, type CheckpointMeta } from './checkpoint.js';
export {
  runTrainingLoop, validateLoopConfig,
  type LoopConfig, type LoopOptions, type LoopProgress, type LoopResult, type MetricNames, type MicroStepResult, type TrainObjective,
} from './trainLoop.js';
export { shuffledOrder, ShuffledStream } from './shuffledOrder.js';
