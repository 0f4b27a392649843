/**
 * Structured FFN pruning (METHODS.md §1 in the project's docs): score every FFN neuron (row i of gate and up,
 * column i of down), keep the best per layer or across layers, and write a smaller GGUF llama.cpp runs.
 *
 *   pruneModel({ modelPath, out, method, sparsity, allocation, calibration, seed })   the whole job
 *   calibrationFromTexts(texts, tokenize)                 token windows + hash (CALIBRATION_SAMPLE built in)
 *   scoreNeurons(method, ctx) → scores per layer          random | magnitude | activation | flap | sensitivity |
 *                                                         gum-oneshot (movement, gum: learned mask scores)
 *   allocateNeurons(scores, sparsity, 'uniform'|'global', blocks)   kept indices, rounded to quant blocks
 *   writePrunedGguf(src, out, { kept, architecture })     the file (deci for per-layer widths); zeroInstead
 *                                                         writes the same-shaped reference with neurons zeroed
 */
export { pruneModel, type PruneOptions, type PruneResult } from './pruneModel.js';
export { calibrationForModel, calibrationFromTexts, type CalibrationSet, type CalibrationOptions } from './calibration.js';
export { CALIBRATION_SAMPLE } from './calibrationSample.js';
export { scoreNeurons } from './scoreNeurons.js';
export { PRUNE_METHODS, CALIBRATED_METHODS, type PruneMethod, type NeuronScores, type ScoreContext } from './scoreTypes.js';
export { allocateNeurons, type NeuronAllocation, type PruneAllocation } from './allocateNeurons.js';
export { writePrunedGguf, DOWN_BIAS_ARCHS, type PrunedWrite, type PrunedWriteResult } from './writePrunedGguf.js';
export { ffnLayout, type FfnLayerTensors } from './ffnLayout.js';
export { greedyUniqueScores } from './greedyUniqueScores.js';
export { standardize } from './scoreFlap.js';
export { PruneError } from './PruneError.js';
export { topNeuronSimilarity, SIMILARITY_NEURONS, type NeuronSimilarity } from './neuronSimilarity.js';
export { NEURON_SCORES_FILE, neuronScoresRecord, readNeuronScores, writeNeuronScores, type NeuronScoresRecord } from './neuronScoresFile.js';
export { redundancyReport, PARTNER_COS, type RedundancyReport, type LayerRedundancy } from './redundancyReport.js';
