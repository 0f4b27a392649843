import { throwIfAborted } from '../errors.js';
import type { EngineModel } from '../model/EngineModel.js';
import type { LoraAdapter } from '../model/LoraAdapter.js';
import { batchLogprobs, makeBatch, type TokenBatch } from '../model/modelForward.js';
import type { EncodedPair } from './encodePairs.js';

/** Summed log-probs of each pair's completion tokens: chosen[i], rejected[i] for pair i. */
export interface PairLogps { chosen: Float64Array; rejected: Float64Array }

/** Σ logp over tokens [start, len) of each sequence of a batch; logp row t predicts token t + 1 of its sequence. */
export function completionSums(batch: TokenBatch, logp: Float32Array, starts: number[]): number[] {
  return batch.spans.map((sp, s) => {
    let sum = 0;
    for (let i = starts[s]!; i < sp.len; i++) sum += logp[sp.start + i - 1]!;
    return sum;
  });
}

/**
 * Completion log-prob sums of pairs, forward only, `microBatch` pairs per pass. `lora` null (or switched off) gives
 * the base model: the reference of preference training, with no second copy of the weights.
 */
export function pairLogps(model: EngineModel, pairs: EncodedPair[], opts: {
  lora?: LoraAdapter | null; microBatch?: number; signal?: AbortSignal; onProgress?: (fraction: number) => void;
} = {}): PairLogps {
  const micro = Math.max(1, opts.microBatch ?? 4);
  const out: PairLogps = { chosen: new Float64Array(pairs.length), rejected: new Float64Array(pairs.length) };
  for (let i = 0; i < pairs.length; i += micro) {
    throwIfAborted(opts.signal);
    const group = pairs.slice(i, i + micro);
    const batch = makeBatch(group.flatMap((p) => [p.chosen, p.rejected]));
    const logp = batchLogprobs(model, batch, { lora: opts.lora ?? null, signal: opts.signal });
    const sums = completionSums(batch, logp, group.flatMap((p) => [p.chosenStart, p.rejectedStart]));
    group.forEach((_, j) => {
      out.chosen[i + j] = sums[2 * j]!;
      out.rejected[i + j] = sums[2 * j + 1]!;
    });
    opts.onProgress?.(Math.min(1, (i + micro) / pairs.length));
  }
  return out;
}
