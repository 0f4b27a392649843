import { GgufTensorReader } from './GgufTensorReader.js';
import type { GgufFile, GgufTensorInfo } from './types.js';

/** Reads one tensor's raw data (in its stored type) through a file handle. For many tensors use GgufTensorReader. */
export async function readTensorBytes(file: GgufFile, tensor: GgufTensorInfo | string): Promise<Uint8Array> {
  const reader = await GgufTensorReader.open(file);
  try {
    return await reader.read(tensor);
  } finally {
    await reader.close();
  }
}
