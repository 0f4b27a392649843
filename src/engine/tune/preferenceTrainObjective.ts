import type { EngineModel } from '../model/EngineModel.js';
import type { LoraAdapter } from '../model/LoraAdapter.js';
import { lossAndGrad, makeBatch } from '../model/modelForward.js';
import { loraDropoutSeed } from '../model/ops/loraDropout.js';
import { dpoLoss, ipoLoss } from '../loss/index.js';
import { ShuffledStream } from '../train/shuffledOrder.js';
import type { TrainObjective } from '../train/trainLoop.js';
import type { EncodedPair } from './encodePairs.js';
import { completionSums, pairLogps, type PairLogps } from './pairLogps.js';

/** Weights of the losses a preference run sums per pair (DPO sigmoid, IPO, SFT on the chosen answer). */
export interface PreferenceLossMix { dpo?: number; ipo?: number; sft?: number }

export interface PreferenceObjectiveOptions {
  model: EngineModel;
  lora: LoraAdapter;
  pairs: EncodedPair[];
  /** Reference sums of `pairs` (the base with the adapter off), computed once. */
  reference: PairLogps;
  heldOut?: { pairs: EncodedPair[]; reference: PairLogps };
  mix: PreferenceLossMix;
  beta: number;
  /** Seed of the pair order. */
  seed: number;
  microBatch: number;
}

/**
 * LoRA preference training as a TrainObjective: each pass scores the chosen and rejected completions of its pairs
 * (prompt tokens masked), and per pair adds mix.dpo·DPO (on summed log-probs) + mix.ipo·IPO (on per-token means) +
 * mix.sft·(mean NLL of the chosen answer),
 * averaged over the step's batch. Implicit rewards are β·(policy − reference) log-prob sums, as TRL logs them;
 * stats carry TRL's names (rewards/chosen, rewards/rejected, rewards/margins, rewards/accuracies, logps/chosen,
 * logps/rejected).
 */
export function preferenceTrainObjective(o: PreferenceObjectiveOptions): TrainObjective {
  const order = new ShuffledStream(o.pairs.length, o.seed);
  const { dpo = 0, ipo = 0, sft = 0 } = o.mix;
  return {
    params: o.lora.parameters(),
    microStep(cursor, count, batchSize, signal) {
      const idx = Array.from({ length: count }, (_, i) => order.at(cursor + i));
      const group = idx.map((k) => o.pairs[k]!);
      const batch = makeBatch(group.flatMap((p) => [p.chosen, p.rejected]));
      const starts = group.flatMap((p) => [p.chosenStart, p.rejectedStart]);
      const stats: Record<string, number> = {
        'rewards/chosen': 0, 'rewards/rejected': 0, 'rewards/margins': 0, 'rewards/accuracies': 0, 'logps/chosen': 0, 'logps/rejected': 0,
      };
      const fn = (logp: Float32Array): { loss: number; dlogp: Float32Array } => {
        const sums = completionSums(batch, logp, starts);
        const dSeq = new Float64Array(2 * count);
        let loss = 0;
        idx.forEach((k, j) => {
          const lp = { chosen: sums[2 * j]!, rejected: sums[2 * j + 1]!, refChosen: o.reference.chosen[k]!, refRejected: o.reference.rejected[k]! };
          if (dpo) {
            const r = dpoLoss(lp, o.beta);
            loss += dpo * r.loss; dSeq[2 * j] += dpo * r.dChosen; dSeq[2 * j + 1] += dpo * r.dRejected;
          }
          if (ipo) {
            // IPO on per-token mean log-probs, as TRL computes it: its target margin 1/(2β) then means the same
            // thing for short and long answers.
            const nc = group[j]!.chosen.length - group[j]!.chosenStart, nr = group[j]!.rejected.length - group[j]!.rejectedStart;
            const r = ipoLoss({ chosen: lp.chosen / nc, rejected: lp.rejected / nr, refChosen: lp.refChosen / nc, refRejected: lp.refRejected / nr }, o.beta);
            loss += ipo * r.loss; dSeq[2 * j] += (ipo * r.dChosen) / nc; dSeq[2 * j + 1] += (ipo * r.dRejected) / nr;
          }
          if (sft) {
            const n = group[j]!.chosen.length - group[j]!.chosenStart;
            loss += sft * (-lp.chosen / n); dSeq[2 * j] += -sft / n;
          }
          const rc = o.beta * (lp.chosen - lp.refChosen), rr = o.beta * (lp.rejected - lp.refRejected);
          stats['rewards/chosen']! += rc / batchSize;
          stats['rewards/rejected']! += rr / batchSize;
          stats['rewards/margins']! += (rc - rr) / batchSize;
          stats['rewards/accuracies']! += (rc > rr ? 1 : 0) / batchSize;
          stats['logps/chosen']! += lp.chosen / batchSize;
          stats['logps/rejected']! += lp.rejected / batchSize;
        });
        const dlogp = new Float32Array(logp.length);
        batch.spans.forEach((sp, s) => {
          for (let i = starts[s]!; i < sp.len; i++) dlogp[sp.start + i - 1] = dSeq[s]! / batchSize;
        });
        return { loss: loss / batchSize, dlogp };
      };
      // LoRA dropout masks follow from the seed and the cursor: a resumed run draws the ones it would have drawn
      const dropoutSeed = o.lora.dropout > 0 ? loraDropoutSeed(o.seed, cursor) : undefined;
      const { loss } = lossAndGrad(o.model, batch, { fn }, { lora: o.lora, loraDropoutSeed: dropoutSeed, signal });
      return { loss, tokens: batch.tokens.length, stats };
    },
    ...(o.heldOut && o.heldOut.pairs.length > 0 ? { evaluate: (signal?: AbortSignal) => heldOutStats(o, signal) } : {}),
  };
}

/** Held-out numbers under the current adapter: how often the chosen answer is the likelier one, and reward accuracy. */
function heldOutStats(o: PreferenceObjectiveOptions, signal?: AbortSignal): Record<string, number> {
  const h = o.heldOut!;
  const pol = pairLogps(o.model, h.pairs, { lora: o.lora, microBatch: o.microBatch, signal });
  let acc = 0, rewardAcc = 0, margin = 0;
  for (let i = 0; i < h.pairs.length; i++) {
    if (pol.chosen[i]! > pol.rejected[i]!) acc++;
    const m = o.beta * (pol.chosen[i]! - h.reference.chosen[i]! - (pol.rejected[i]! - h.reference.rejected[i]!));
    if (m > 0) rewardAcc++;
    margin += m;
  }
  const n = h.pairs.length;
  return { 'eval/accuracy': acc / n, 'eval/rewards/accuracies': rewardAcc / n, 'eval/rewards/margins': margin / n };
}
