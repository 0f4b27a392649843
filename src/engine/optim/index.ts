// Optimizers and learning-rate schedules for the engine's trainable arrays (Param[]: model weights or LoRA A/B).
export { AdamW, type AdamWOptions } from './AdamW.js';
export { clipGradNorm } from './clipGradNorm.js';
export { warmupCosine, warmupConstant, type LrSchedule } from './schedules.js';
