import { ModelLabError } from '../errors.js';

/** The engine cannot run this model (architecture, tensor layout or type it does not support). */
export class EngineModelError extends ModelLabError {
  override name = 'EngineModelError';
  constructor(code: 'ENGINE_UNSUPPORTED_ARCH' | 'ENGINE_MISSING_TENSOR' | 'ENGINE_BAD_TENSOR' | 'ENGINE_NOT_DENSE' | 'ENGINE_BAD_CONFIG' | 'ENGINE_BAD_INPUT'
    | 'ENGINE_UNSUPPORTED_ROPE' | 'ENGINE_UNSUPPORTED_TYPE' | 'ENGINE_UNSUPPORTED_TENSOR', message: string) {
    super(code, message);
  }
}
