import { learnMaskScores } from './learnMaskScores.js';
import { PruneError } from './PruneError.js';
import { scoreActivation } from './scoreActivation.js';
import { scoreFlap } from './scoreFlap.js';
import { scoreGumOneshot } from './scoreGumOneshot.js';
import { scoreMagnitude } from './scoreMagnitude.js';
import { scoreRandom } from './scoreRandom.js';
import { scoreSensitivity } from './scoreSensitivity.js';
import { CALIBRATED_METHODS, type NeuronScores, type PruneMethod, type ScoreContext } from './scoreTypes.js';

type Scorer = (ctx: ScoreContext) => Promise<NeuronScores> | NeuronScores;

const SCORERS: Record<PruneMethod, Scorer> = {
  random: scoreRandom,
  magnitude: scoreMagnitude,
  activation: scoreActivation,
  flap: scoreFlap,
  sensitivity: scoreSensitivity,
  'gum-oneshot': scoreGumOneshot,
  movement: (ctx) => learnMaskScores(ctx, false),
  gum: (ctx) => learnMaskScores(ctx, true),
};

/** One score per neuron by the chosen method (higher = keep). */
export async function scoreNeurons(method: PruneMethod, ctx: ScoreContext): Promise<NeuronScores> {
  const scorer = SCORERS[method];
  if (!scorer) throw new PruneError('PRUNE_UNKNOWN_METHOD', `pruning method '${method}' is not available`);
  if (CALIBRATED_METHODS.has(method) && !ctx.calibration) throw new PruneError('PRUNE_NO_CALIBRATION', `${method} runs the model on calibration text, and none was given`);
  const s = await scorer(ctx);
  ctx.onProgress?.(1);
  return s;
}
