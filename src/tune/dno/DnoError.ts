import { ModelLabError } from '../../engine/errors.js';

/**
 * Codes: DNO_NO_PROMPTS (nothing to sample from), DNO_NO_PAIRS (no pair survived the rules in the first iteration),
 * DNO_JUDGE (the judge model or command failed or printed no score), DNO_HISTORY (a run folder whose history was
 * written with other settings), DNO_CONFIG (a setting out of range).
 */
export class DnoError extends ModelLabError {
  override name = 'DnoError';
}
