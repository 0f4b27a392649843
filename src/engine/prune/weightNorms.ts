import { GgufTensorReader, RewriteSource, type GgufFile } from '../gguf/index.js';
import type { FfnLayerTensors, NeuronRows } from './ffnLayout.js';

/** Runs fn with chunked read access to the file's tensors (one open handle), closing it afterwards. */
export async function withSource<T>(file: GgufFile, fn: (src: RewriteSource) => Promise<T>, signal?: AbortSignal): Promise<T> {
  const reader = await GgufTensorReader.open(file);
  try {
    return await fn(new RewriteSource(file, reader, 4 << 20, signal));
  } finally {
    await reader.close();
  }
}

/** ||row i||₂² of the F neurons' rows of a projection (gate or up), read a chunk of rows at a time. */
export async function neuronRowSquaredNorms(src: RewriteSource, rows: NeuronRows, F: number): Promise<Float32Array> {
  const out = new Float32Array(F);
  const C = rows.tensor.shape[0];
  for await (const { row, values } of src.rowsF32(rows.tensor, rows.rowOffset, F)) {
    for (let r = 0; r < values.length / C; r++) {
      let s = 0;
      for (let j = r * C; j < (r + 1) * C; j++) s += values[j] * values[j];
      out[row - rows.rowOffset + r] = s;
    }
  }
  return out;
}

/** ||W_down[:, i]||₂² for each neuron i (ffn_down is ne [F, C]: neuron i is element i of each of the C rows). */
export async function downColumnSquaredNorms(src: RewriteSource, layer: FfnLayerTensors): Promise<Float32Array> {
  const F = layer.nFf;
  const out = new Float64Array(F);
  for await (const { values } of src.rowsF32(layer.down)) {
    for (let o = 0; o < values.length; o += F) for (let i = 0; i < F; i++) out[i] += values[o + i] * values[o + i];
  }
  return Float32Array.from(out);
}
