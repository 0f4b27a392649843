import { hyperparameterEntries } from '../gguf/hyperparameterEntries.js';
import { writeGguf, type GgufMetadataEntry, type GgufTensorToWrite } from '../gguf/index.js';
import { GENERAL } from '../gguf/metadataKeys.js';
import { archLayout, globalTensors, layerTensors, ROPE_FREQS_TENSOR, type LayoutDims } from '../gguf/tensorLayout.js';
import { GGUF_VALUE_TYPE } from '../gguf/types.js';
import { quantize } from '../quant/index.js';
import type { EngineModel } from './EngineModel.js';
import { EngineModelError } from './EngineModelError.js';
import type { Linear } from './ops/linear.js';

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
 * llama.cpp loads: architecture keys from the spec (a deci model's FFN widths per layer), tensors as the layout
 * table lists them, in llama.cpp's names and ne order [cols, rows].
 */
export async function saveModelGguf(model: EngineModel, path: string, opts: SaveModelOptions = {}): Promise<void> {
  const s = model.spec;
  const layout = archLayout(s.architecture);
  if (!layout) throw new EngineModelError('ENGINE_UNSUPPORTED_ARCH', `The lab engine cannot save '${s.architecture}' models.`);
  const defaults: GgufMetadataEntry[] = [
    ...hyperparameterEntries({ ...s, nFf: layout.perLayerFfn ? [...model.ffnWidths] : model.nFf }),
    { key: GENERAL.name, type: GGUF_VALUE_TYPE.STRING, value: opts.name ?? 'model-lab' },
  ];
  const extra = opts.metadata ?? [];
  const keys = new Set(extra.map((m) => m.key));
  const metadata = [...defaults.filter((m) => !keys.has(m.key)), ...extra];
  const f32 = (x: Float32Array): Uint8Array => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  const wt = opts.weightType ?? 0;
  const linears = new Map(model.linears().map((w) => [w.name, w]));
  const norms = new Map(model.norms().map((n) => [n.name, n]));
  const dims: LayoutDims = { nEmbd: s.nEmbd, nVocab: s.nVocab, nHead: s.nHead, nHeadKv: s.nHeadKv, headDim: s.headDim,
    ffn: model.ffnWidths, tiedOutput: model.output === model.tokenEmbd };
  const slots = [...globalTensors(dims), ...model.layers.flatMap((l, il) => layerTensors(layout, dims, il, l.wqkv !== undefined))];
  const tensors: GgufTensorToWrite[] = [];
  for (const t of slots) {
    if (t.kind === 'norm') {
      const n = norms.get(t.base);
      if (!n) throw new EngineModelError('ENGINE_MISSING_TENSOR', `The model has no ${t.base}.`);
      tensors.push({ name: `${t.base}.weight`, type: 0, shape: [n.data.length], data: f32(n.data) });
      continue;
    }
    const w: Linear | undefined = linears.get(t.base);
    if (!w) throw new EngineModelError('ENGINE_MISSING_TENSOR', `The model has no ${t.base}.`);
    if (!w.data) throw new EngineModelError('ENGINE_NOT_DENSE', `Weight ${w.name} is not dense F32 in memory; only models built or loaded with dense: true can be saved.`);
    const data = w.data;
    tensors.push({ name: `${w.name}.weight`, type: wt, shape: [w.cols, w.rows], data: () => [wt === 0 ? f32(data) : quantize(wt, data)] });
    if (w.bias) tensors.push({ name: `${w.name}.bias`, type: 0, shape: [w.rows], data: f32(w.bias) });
  }
  // without it llama.cpp would rotate a Llama 3.x model's low frequencies unscaled: a different model
  if (model.ropeFreqFactors) tensors.push({ name: ROPE_FREQS_TENSOR, type: 0, shape: [model.ropeFreqFactors.length], data: f32(model.ropeFreqFactors) });
  await writeGguf(path, { metadata, tensors }, { signal: opts.signal });
}
