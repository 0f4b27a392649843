import { ModelLabError } from '../engine/errors.js';

/**
 * A problem with the data folder (`.model-lab/`): a variant that is not there, a manifest that does not validate, a
 * parent file that cannot be read. Codes: VARIANT_NOT_FOUND, VARIANT_NOT_PENDING, VARIANT_FILE_MISSING,
 * PARENT_NOT_FOUND, MANIFEST_INVALID.
 */
export class WorkspaceError extends ModelLabError {
  override name = 'WorkspaceError';
}
