import { GGUF_VALUE_TYPE, writeGguf, type GgufMetadataEntry, type GgufTensorToWrite } from '../gguf/index.js';
import { quantize } from '../quant/index.js';
import type { EngineModel } from './EngineModel.js';
import { EngineModelError } from './EngineModelError.js';

export interface SaveModelOptions {
  /** Extra metadata, e.g. the tokenizer (tokenizer.ggml.*); an entry here replaces a default with the same key. */
  metadata?: GgufMetadataEntry[];
  name?: string;
  /** GGML type id for the 2-D weights (default 0 = F32; 1 = F16, 8 = Q8_0, …). Norms and biases stay F32. */
  weightType?: number;
  signal?: AbortSignal;
}

/**
 * Write a model whose weights are dense F32 in memory (createRandomModel, training) as a GGUF file that
 * llama.cpp loads: architecture keys from the spec, tensors in llama.cpp's names and ne order [cols, rows].
 */
export async function saveModelGguf(model: EngineModel, path: string, opts: SaveModelOptions = {}): Promise<void> {
  const s = model.spec;
  const a = s.architecture;
  const T = GGUF_VALUE_TYPE;
  const defaults: GgufMetadataEntry[] = [
    { key: 'general.architecture', type: T.STRING, value: a },
    { key: 'general.name', type: T.STRING, value: opts.name ?? 'model-lab' },
    { key: `${a}.context_length`, type: T.UINT32, value: s.contextLength },
    { key: `${a}.embedding_length`, type: T.UINT32, value: s.nEmbd },
    { key: `${a}.block_count`, type: T.UINT32, value: s.nLayer },
    { key: `${a}.feed_forward_length`, type: T.UINT32, value: model.nFf },
    { key: `${a}.attention.head_count`, type: T.UINT32, value: s.nHead },
    { key: `${a}.attention.head_count_kv`, type: T.UINT32, value: s.nHeadKv },
    { key: `${a}.rope.dimension_count`, type: T.UINT32, value: s.ropeDims },
    { key: `${a}.rope.freq_base`, type: T.FLOAT32, value: s.ropeBase },
    { key: `${a}.attention.layer_norm_rms_epsilon`, type: T.FLOAT32, value: s.normEps },
    { key: `${a}.vocab_size`, type: T.UINT32, value: s.nVocab },
  ];
  const extra = opts.metadata ?? [];
  const keys = new Set(extra.map((m) => m.key));
  const metadata = [...defaults.filter((m) => !keys.has(m.key)), ...extra];
  const f32 = (x: Float32Array): Uint8Array => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  const tensors: GgufTensorToWrite[] = [];
  const wt = opts.weightType ?? 0;
  for (const w of model.linears()) {
    if (!w.data) throw new EngineModelError('ENGINE_NOT_DENSE', `Weight ${w.name} is not dense F32 in memory; only models built or loaded with dense: true can be saved.`);
    const data = w.data;
    tensors.push({ name: `${w.name}.weight`, type: wt, shape: [w.cols, w.rows], data: () => [wt === 0 ? f32(data) : quantize(wt, data)] });
    if (w.bias) tensors.push({ name: `${w.name}.bias`, type: 0, shape: [w.rows], data: f32(w.bias) });
  }
  for (const n of model.norms()) tensors.push({ name: `${n.name}.weight`, type: 0, shape: [n.data.length], data: f32(n.data) });
  await writeGguf(path, { metadata, tensors }, { signal: opts.signal });
}
