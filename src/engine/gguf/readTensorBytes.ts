import { open } from 'node:fs/promises';
import { GgufFormatError } from './GgufFormatError.js';
import type { GgufFile, GgufTensorInfo } from './types.js';

/** Reads one tensor's raw data (in its stored type) through a file handle. */
export async function readTensorBytes(file: GgufFile, tensor: GgufTensorInfo | string): Promise<Uint8Array> {
  const t = typeof tensor === 'string' ? file.tensors.find((x) => x.name === tensor) : tensor;
  if (!t) throw new RangeError(`no tensor named '${String(tensor)}' in ${file.path ?? 'the file'}`);
  if (!file.path) throw new Error('readTensorBytes needs a GgufFile read from a path (readGguf)');
  const fh = await open(file.path, 'r');
  try {
    const out = new Uint8Array(t.bytes);
    let have = 0;
    while (have < t.bytes) {
      const { bytesRead } = await fh.read(out, have, t.bytes - have, t.offset + have);
      if (bytesRead === 0) throw new GgufFormatError('GGUF_TRUNCATED', t.offset + have, `file ended inside tensor '${t.name}': it changed on disk since it was read`);
      have += bytesRead;
    }
    return out;
  } finally {
    await fh.close();
  }
}
