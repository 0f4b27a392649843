// A text file a user gives us, read as UTF-8 (see decodeUtf8Text in src/engine/text for the BOM and encoding rules).
import { readFile } from 'node:fs/promises';
import { ModelLabError } from '../engine/errors.js';
import { decodeUtf8Text } from '../engine/text/decodeUtf8Text.js';

export { decodeUtf8Text };

/** Reads a file as UTF-8 text (see decodeUtf8Text); a missing or unreadable file is a one-line FILE_UNREADABLE. */
export async function readUtf8File(file: string, name = file): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : code ?? (err as Error).message;
    throw new ModelLabError('FILE_UNREADABLE', `cannot read ${name}: ${why}`);
  }
  return decodeUtf8Text(bytes, name);
}
