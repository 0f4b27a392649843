import { ModelLabError } from '../errors.js';

/**
 * A GGUF file is malformed or would crash llama.cpp. `offset` is the byte in the file where the problem was
 * found; `code` is stable (e.g. GGUF_BAD_MAGIC, GGUF_TRUNCATED, GGUF_TENSOR_OVERLAP).
 */
export class GgufFormatError extends ModelLabError {
  override name = 'GgufFormatError';
  constructor(
    code: string,
    readonly offset: number,
    message: string,
  ) {
    super(code, message);
  }
  override toJSON(): { name: string; code: string; message: string; offset: number } {
    return { ...super.toJSON(), offset: this.offset };
  }
}
