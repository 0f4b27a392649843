import { ModelLabError } from '../engine/errors.js';
import { registerRevivableErrors } from '../process/errors.js';

/**
 * A problem with the data folder (`.model-lab/`): a variant that is not there, a manifest that does not validate, a
 * parent file that cannot be read. Codes: VARIANT_NOT_FOUND, VARIANT_NOT_PENDING, VARIANT_FILE_MISSING,
 * PARENT_NOT_FOUND, PARENT_CHANGED.
 */
export class WorkspaceError extends ModelLabError {
  override name = 'WorkspaceError';
}

// A job that fails on the data folder reaches the host as a WorkspaceError, not as an anonymous remote error.
registerRevivableErrors({ WorkspaceError });
