import { ModelLabError } from '../errors.js';

/**
 * Codes: TUNE_BAD_PAIRS (a pairs file line that is not a TRL preference record), TUNE_NO_PAIRS (nothing left to
 * train on), TUNE_CONFIG (a setting out of range), TUNE_TEMPLATE (the model's chat template failed to render).
 */
export class TuneError extends ModelLabError {
  override name = 'TuneError';
}
