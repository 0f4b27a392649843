// LoRA preference tuning on the engine (DPO, IPO, SFT): TRL pairs → text (chat template) → tokens → the one
// training loop with the preference objective. The base stays in its stored type; the reference is the same base
// with the adapter off (no second copy of the weights), computed once per run.
export { TuneError } from './TuneError.js';
export { parseTrlPairs, readTrlPairs, type ChatMessage, type TrlPair } from './readTrlPairs.js';
export { chatFormatOf, pairTexts, type ChatFormat, type PairTexts } from './pairTexts.js';
export { encodePairs, noPairsLeftError, type EncodedPair, type EncodeResult } from './encodePairs.js';
export { pairLogps, completionSums, type PairLogps } from './pairLogps.js';
export { preferenceTrainObjective, type PreferenceLossMix, type PreferenceObjectiveOptions } from './preferenceTrainObjective.js';
export {
  trainPreferences, mixOf, ALL_LORA_TARGETS, DEFAULT_TUNE,
  type TuneConfig, type TuneData, type TuneMethod, type TuneResult,
} from './trainPreferences.js';
export { splitHeldOut, tuneConfigFor, DEFAULT_EPOCHS, DEFAULT_IPO_BETA, DEFAULT_SFT_WEIGHT, type TuneOptions } from './tuneSettings.js';
export { mergeLoraGguf, type MergeOptions } from './mergeLoraGguf.js';
export { initAdapterShape, type InitAdapterShape } from './initAdapter.js';
