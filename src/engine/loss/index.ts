// Losses on per-token log-probs: masked next-token NLL, and DPO/IPO on sequence log-prob sums.
export { nllWeights } from './nllWeights.js';
export { dpoLoss, ipoLoss, preferenceObjective, sequenceLogprobSums, type PairLogps, type PairLoss, type PreferencePair } from './preference.js';
