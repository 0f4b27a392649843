import { throwIfAborted } from '../errors.js';
import { GgufTensorReader } from './GgufTensorReader.js';
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
  const chunk = opts.chunkBytes ?? 4 << 20;
  const reader = await GgufTensorReader.open(file);
  try {
    for (let done = 0; done < tensor.bytes; ) {
      throwIfAborted(opts.signal);
      const buf = new Uint8Array(Math.min(chunk, tensor.bytes - done));
      await reader.readInto(tensor.offset + done, buf, `tensor '${tensor.name}'`);
      done += buf.length;
      yield buf;
    }
  } finally {
    await reader.close();
  }
}
