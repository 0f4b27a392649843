import { ModelLabError } from '../errors.js';

/** Pruning cannot go ahead: bad settings, a model layout it cannot prune, or a type it cannot write. */
export class PruneError extends ModelLabError {
  override name = 'PruneError';
}
