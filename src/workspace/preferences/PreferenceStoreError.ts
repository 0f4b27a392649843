import { ModelLabError } from '../../engine/errors.js';

/**
 * Codes: STORE_LOCKED (another writer held the lock past the wait), STORE_INVALID_EVENT (an append that does not fit
 * the schema), STORE_UNKNOWN_RECORD (edit/delete of an id the store does not hold), STORE_IO (the disk refused).
 */
export class PreferenceStoreError extends ModelLabError {
  override name = 'PreferenceStoreError';
}
