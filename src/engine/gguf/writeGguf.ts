import { GgufWriter, type TensorDataSource } from './GgufWriter.js';
import type { GgufMetadataEntry } from './types.js';

export interface GgufTensorToWrite {
  name: string;
  type: number;
  /** ne order */
  shape: number[];
  data: TensorDataSource;
}

/** Writes a whole GGUF file. Tensor data may be streamed (a function returning an async iterable). */
export async function writeGguf(
  path: string,
  content: { metadata: GgufMetadataEntry[]; tensors: GgufTensorToWrite[] },
  opts: { alignment?: number; version?: 2 | 3; signal?: AbortSignal } = {},
): Promise<void> {
  const w = await GgufWriter.open(path, opts);
  try {
    for (const m of content.metadata) w.addMetadata(m.key, m.type, m.value, m.elementType, m.element);
    for (const t of content.tensors) w.addTensorInfo(t.name, t.type, t.shape);
    await w.writeHeader();
    for (const t of content.tensors) await w.writeTensorData(t.data);
    await w.close();
  } catch (err) {
    await w.abort();
    throw err;
  }
}
