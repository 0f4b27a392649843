import { open } from 'node:fs/promises';
import { throwIfAborted } from '../errors.js';
import { NeedMoreBytes } from './ByteCursor.js';
import { GgufFormatError } from './GgufFormatError.js';
import { parseGgufHeader } from './parseGgufHeader.js';
import type { GgufFile } from './types.js';

const FIRST_CHUNK = 1 << 20;

/**
 * Reads and validates the header of a GGUF file (metadata and tensor infos). Reads a growing prefix through a
 * file handle, never the tensor data: a multi-GB model costs milliseconds. Throws GgufFormatError when malformed.
 */
export async function readGguf(path: string, opts: { signal?: AbortSignal } = {}): Promise<GgufFile> {
  const fh = await open(path, 'r');
  try {
    const fileBytes = (await fh.stat()).size;
    let size = Math.min(FIRST_CHUNK, fileBytes);
    let buf = new Uint8Array(size);
    let have = 0;
    for (;;) {
      throwIfAborted(opts.signal);
      while (have < size) {
        const { bytesRead } = await fh.read(buf, have, size - have, have);
        if (bytesRead === 0) break; // the file shrank while we read it; the parser reports it as truncated
        have += bytesRead;
      }
      try {
        const file = parseGgufHeader(buf.subarray(0, have), have < size ? have : fileBytes);
        file.path = path;
        return file;
      } catch (err) {
        if (err instanceof GgufFormatError) err.file ??= path;
        if (!(err instanceof NeedMoreBytes)) throw err;
        size = Math.min(fileBytes, Math.max(size * 2, err.needed + (64 << 10)));
        const next = new Uint8Array(size);
        next.set(buf.subarray(0, have));
        buf = next;
      }
    }
  } finally {
    await fh.close();
  }
}
