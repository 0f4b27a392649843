import { open } from 'node:fs/promises';
import { throwIfAborted } from '../errors.js';
import { GgufFormatError } from './GgufFormatError.js';
import type { GgufFile, GgufTensorInfo } from './types.js';

/**
 * Streams one tensor's raw bytes from the file in chunks (default 4 MiB), for GgufWriter.writeTensorData: a model
 * can be rewritten tensor by tensor without holding more than one chunk in memory.
 */
export async function* tensorDataStream(
  file: GgufFile,
  tensor: GgufTensorInfo,
  opts: { chunkBytes?: number; signal?: AbortSignal } = {},
): AsyncIterable<Uint8Array> {
  if (!file.path) throw new Error('tensorDataStream needs a GgufFile read from a path (readGguf)');
  const chunk = opts.chunkBytes ?? 4 << 20;
  const fh = await open(file.path, 'r');
  try {
    for (let done = 0; done < tensor.bytes; ) {
      throwIfAborted(opts.signal);
      const n = Math.min(chunk, tensor.bytes - done);
      const buf = new Uint8Array(n);
      let have = 0;
      while (have < n) {
        const { bytesRead } = await fh.read(buf, have, n - have, tensor.offset + done + have);
        if (bytesRead === 0) throw new GgufFormatError('GGUF_TRUNCATED', tensor.offset + done + have, `file ended inside tensor '${tensor.name}': it changed on disk since it was read`);
        have += bytesRead;
      }
      done += n;
      yield buf;
    }
  } finally {
    await fh.close();
  }
}
