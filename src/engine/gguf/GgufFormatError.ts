import { ModelLabError } from '../errors.js';

/**
 * A GGUF file is malformed or would crash llama.cpp. `offset` is the byte in the file where the problem was
 * found; `code` is stable (e.g. GGUF_BAD_MAGIC, GGUF_TRUNCATED, GGUF_TENSOR_OVERLAP).
 */
export class GgufFormatError extends ModelLabError {
  override name = 'GgufFormatError';
  /** The file, set by readGguf: a command that reads several files (a model and an adapter) names the bad one. */
  file?: string;
  constructor(
    code: string,
    readonly offset: number,
    message: string,
  ) {
    super(code, oneLine(message));
  }
  override toJSON(): { name: string; code: string; message: string; offset: number } {
    return { ...super.toJSON(), offset: this.offset };
  }
}

/** Keys and names inside messages come from the (possibly corrupt) file: escape control characters, cap length. */
function oneLine(message: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = message.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return clean.length > 400 ? `${clean.slice(0, 200)}…${clean.slice(-150)}` : clean;
}
