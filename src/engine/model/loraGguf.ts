import { isLoraAdapter, loraAdapterProblems } from '../gguf/checkAdapter.js';
import { GGUF_VALUE_TYPE, readGguf, readTensorBytes, writeGguf, type GgufTensorToWrite } from '../gguf/index.js';
import { ADAPTER, ADAPTER_FILE_TYPE, GENERAL, MODEL_LAB } from '../gguf/metadataKeys.js';
import { dequantize } from '../quant/index.js';
import type { EngineModel } from './EngineModel.js';
import { EngineModelError } from './EngineModelError.js';
import { LoraAdapter } from './LoraAdapter.js';

/**
 * Write a LoRA adapter in llama.cpp's adapter GGUF format (docs/dev/FORMATS.md): general.type "adapter", adapter.type "lora",
 * adapter.lora.alpha; tensors "<base>.weight.lora_a" ne [n_in, r] and ".lora_b" ne [r, n_out] in F32. llama.cpp
 * applies W·x + scale·(alpha/r)·B·(A·x), the same as the engine.
 */
export async function saveLoraGguf(adapter: LoraAdapter, model: EngineModel, path: string, opts: { name?: string; signal?: AbortSignal } = {}): Promise<void> {
  const T = GGUF_VALUE_TYPE;
  const bytes = (x: Float32Array): Uint8Array => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  const byName = new Map(model.linears().map((w) => [w.name, w]));
  const tensors: GgufTensorToWrite[] = [];
  for (const [name, p] of adapter.pairs) {
    const w = byName.get(name);
    if (!w) throw new EngineModelError('ENGINE_MISSING_TENSOR', `the adapter has ${name}, which this model does not have`);
    tensors.push({ name: `${name}.weight.lora_a`, type: 0, shape: [w.cols, p.r], data: bytes(p.a) });
    tensors.push({ name: `${name}.weight.lora_b`, type: 0, shape: [p.r, w.rows], data: bytes(p.b) });
  }
  await writeGguf(path, {
    metadata: [
      { key: GENERAL.architecture, type: T.STRING, value: model.spec.architecture },
      { key: GENERAL.type, type: T.STRING, value: ADAPTER_FILE_TYPE },
      { key: GENERAL.name, type: T.STRING, value: opts.name ?? 'model-lab-lora' },
      { key: ADAPTER.type, type: T.STRING, value: 'lora' },
      { key: ADAPTER.loraAlpha, type: T.FLOAT32, value: adapter.alpha },
      // llama.cpp ignores it; PEFT export writes it as lora_dropout
      ...(adapter.dropout > 0 ? [{ key: MODEL_LAB.loraDropout, type: T.FLOAT32, value: adapter.dropout }] : []),
    ],
    tensors,
  }, { signal: opts.signal });
}

/** Read a LoRA adapter GGUF (ours or llama.cpp's converter's) onto a loaded model. */
export async function loadLoraGguf(model: EngineModel, path: string, opts: { signal?: AbortSignal } = {}): Promise<LoraAdapter> {
  const file = await readGguf(path, { signal: opts.signal });
  const md = file.metadata;
  if (!isLoraAdapter(md)) {
    throw new EngineModelError('ENGINE_BAD_TENSOR', `${path} is not a LoRA adapter (general.type adapter, adapter.type lora)`);
  }
  if (md[GENERAL.architecture] !== model.spec.architecture) {
    throw new EngineModelError('ENGINE_BAD_TENSOR', `${path} is an adapter for ${String(md[GENERAL.architecture])}, not ${model.spec.architecture}`);
  }
  const byName = new Map(model.linears().map((w) => [`${w.name}.weight`, w]));
  const { pairs, problems } = loraAdapterProblems(file, new Map([...byName].map(([n, w]) => [n, [w.cols, w.rows]])));
  if (problems.length > 0) throw new EngineModelError('ENGINE_BAD_TENSOR', `${path}: ${problems[0]}`);
  // the engine's adapter has one rank for every pair (llama.cpp allows one per pair)
  const r = pairs[0].rank;
  const other = pairs.find((p) => p.rank !== r);
  if (other) throw new EngineModelError('ENGINE_BAD_TENSOR', `${path}: ${other.base} has rank ${other.rank}, ${pairs[0].base} ${r}; the lab engine needs one rank for every pair`);
  const alphaValue = md[ADAPTER.loraAlpha];
  const alpha = typeof alphaValue === 'number' ? alphaValue : r;
  const adapter = new LoraAdapter(r, alpha);
  const dropout = md[MODEL_LAB.loraDropout];
  if (typeof dropout === 'number' && dropout > 0 && dropout < 1) adapter.dropout = dropout;
  for (const { base, a, b } of pairs) {
    adapter.add(byName.get(base)!, dequantize(a.type, await readTensorBytes(file, a), a.elements), dequantize(b.type, await readTensorBytes(file, b), b.elements));
  }
  return adapter;
}
