// Generated test models (docs/dev/CONTRACTS.md).
export { writeTestModel, type TestModelArch, type TestModelInfo, type TestModelOptions, type TestWeightType } from './writeTestModel.js';
export { spmVocab, TOKEN_TYPE, type SpmVocab } from './spmVocab.js';
export { SeededRandom } from './random.js';
export { randomQuantBlocks } from './randomQuantBlocks.js';
