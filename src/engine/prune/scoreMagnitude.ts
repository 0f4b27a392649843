import type { NeuronScores, ScoreContext } from './scoreTypes.js';
import { neuronRowSquaredNorms, withSource } from './weightNorms.js';

/** ||W_up[i, :]||₂: the L2 norm of each neuron's row of the up projection (for phi3 the second half of ffn_up). */
export async function scoreMagnitude(ctx: Pick<ScoreContext, 'file' | 'layers' | 'signal' | 'onProgress'>): Promise<NeuronScores> {
  return withSource(ctx.file, async (src) => {
    const scores: Float32Array[] = [];
    for (const l of ctx.layers) {
      scores.push((await neuronRowSquaredNorms(src, l.up, l.nFf)).map(Math.sqrt));
      ctx.onProgress?.(scores.length / ctx.layers.length);
    }
    return { scores };
  }, ctx.signal);
}
