import { ModelLabError } from '../engine/errors.js';

/** Wrong arguments on the command line: printed as one line, exit code 2. */
export class CliUsageError extends ModelLabError {
  override name = 'CliUsageError';
  constructor(message: string) {
    super('CLI_USAGE', message);
  }
}
