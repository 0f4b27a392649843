import type { TuneEstimate, TunePreset } from '../../protocol/webviewTune.js';

/** What the estimate needs to know about the model (its GGUF header and file size). */
export interface TuneModelFacts {
  fileBytes: number;
  nEmbd: number;
  nLayer: number;
  nFf: number;
  nVocab: number;
}

/**
 * Training throughput assumed when no earlier run of the model measured one: weight bytes streamed per second. A
 * training step reads the weights about three times per token (forward, backward through the frozen base, and the
 * recomputation), so this is set well below what the kernels reach on a 2-core machine: estimates err long.
 */
export const ASSUMED_WEIGHT_BYTES_PER_SEC = 1e9;
const BATCH = 8;
const MICRO_BATCH = 4;
/** LoRA parameter, gradient and AdamW's two moments, all F32. */
const BYTES_PER_LORA_PARAM = 16;
/** The job process itself (Node, the kernels' wasm memory besides the weights). */
const PROCESS_BYTES = 96 * 2 ** 20;

/**
 * Time and memory of a preference run before it starts: steps from the preset and the pair count (as planTuneRun
 * makes them), seconds from the tokens each step scores at a measured or assumed tokens/s plus the one reference
 * pass, memory from the weights as stored (never copied to F32), the adapter with its optimizer state, and one
 * micro-batch of activations and logits. An estimate, not a promise; the panel says so.
 */
export function estimateTune(m: TuneModelFacts, preset: TunePreset, o: { trainPairs: number; allPairs: number; tokensPerPair: number; measuredTokensPerSec?: number }): TuneEstimate {
  const batch = Math.max(1, Math.min(BATCH, o.trainPairs));
  const steps = Math.max(1, Math.min(preset.maxSteps, Math.ceil((preset.epochs * Math.max(1, o.trainPairs)) / batch)));
  const tokensPerSec = o.measuredTokensPerSec && o.measuredTokensPerSec > 0 ? o.measuredTokensPerSec : ASSUMED_WEIGHT_BYTES_PER_SEC / Math.max(1, m.fileBytes);
  // each pair scores its chosen and rejected sequence; the reference pass is a forward only (about a third of a step)
  const trainTokens = steps * batch * 2 * o.tokensPerPair;
  const referenceTokens = o.allPairs * 2 * o.tokensPerPair;
  const seconds = trainTokens / tokensPerSec + referenceTokens / (3 * tokensPerSec);
  // LoRA on every projection: q, k, v, o (nEmbd → nEmbd each, an upper bound under GQA), gate/up (nEmbd → nFf), down
  const loraParams = preset.rank * m.nLayer * (4 * 2 * m.nEmbd + 3 * (m.nEmbd + m.nFf));
  const seq = 2 * Math.min(MICRO_BATCH, batch) * o.tokensPerPair;
  // per token and layer, the activations kept for the backward pass (~12 × nEmbd + 3 × nFf floats), and the logits
  const activations = seq * (m.nLayer * (12 * m.nEmbd + 3 * m.nFf) + 2 * m.nVocab) * 4;
  return {
    steps,
    seconds,
    memoryBytes: m.fileBytes + loraParams * BYTES_PER_LORA_PARAM + activations + PROCESS_BYTES,
    tokensPerSec,
    tokensPerSecSource: o.measuredTokensPerSec && o.measuredTokensPerSec > 0 ? 'measured' : 'assumed',
  };
}
