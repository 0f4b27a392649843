import { Rng } from '../model/random.js';
import type { NeuronScores, ScoreContext } from './scoreTypes.js';

/** A frozen uniform random score per neuron, from the seed (the paper's surprisingly strong baseline). */
export function scoreRandom(ctx: Pick<ScoreContext, 'layers' | 'seed'>): NeuronScores {
  const rng = new Rng(ctx.seed);
  return { scores: ctx.layers.map((l) => Float32Array.from({ length: l.nFf }, () => rng.next())) };
}
