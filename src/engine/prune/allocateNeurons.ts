import { PruneError } from './PruneError.js';

export type PruneAllocation = 'uniform' | 'global';

export interface NeuronAllocation {
  /** kept neuron indices per layer, ascending (the order they keep in the new file) */
  kept: Int32Array[];
  /** kept count per layer before rounding to the block */
  requested: number[];
  /** layers whose kept count was rounded to a multiple of its block (or up to one block) */
  rounded: { layer: number; requested: number; kept: number; block: number }[];
}

/**
 * Which neurons each layer keeps. 'uniform': the top (1 − sparsity) of every layer; 'global': one ranking of all
 * layers' scores, so layers keep different counts. Each layer's count is then rounded to the nearest multiple of
 * `blocks[l]` (the quantization block along ffn_down's rows), at least one block and at most the layer's width;
 * the top-scored neurons of the layer are kept. Ties: lower layer, then lower index.
 */
export function allocateNeurons(scores: Float32Array[], sparsity: number, allocation: PruneAllocation, blocks: number[]): NeuronAllocation {
  if (!(sparsity >= 0 && sparsity < 1)) throw new PruneError('PRUNE_BAD_SPARSITY', `sparsity must be in [0, 1) (the share of FFN neurons removed), got ${sparsity}`);
  const keepFrac = 1 - sparsity;
  let requested: number[];
  if (allocation === 'uniform') {
    requested = scores.map((s) => Math.round(keepFrac * s.length));
  } else {
    const all: { l: number; i: number; s: number }[] = [];
    scores.forEach((s, l) => s.forEach((v, i) => all.push({ l, i, s: v })));
    all.sort((a, b) => b.s - a.s || a.l - b.l || a.i - b.i);
    requested = scores.map(() => 0);
    const n = Math.round(keepFrac * all.length);
    for (let k = 0; k < n; k++) requested[all[k].l]++;
  }
  const rounded: NeuronAllocation['rounded'] = [];
  const kept = scores.map((s, l) => {
    const F = s.length, b = blocks[l];
    const k = Math.min(F, Math.max(b, Math.round(requested[l] / b) * b));
    if (k !== requested[l]) rounded.push({ layer: l, requested: requested[l], kept: k, block: b });
    const order = Array.from(s, (_, i) => i).sort((a, c) => s[c] - s[a] || a - c);
    return Int32Array.from(order.slice(0, k)).sort();
  });
  return { kept, requested, rounded };
}
