import { GGUF_VALUE_TYPE, readGguf, readTensorBytes, writeGguf, type GgufTensorToWrite } from '../gguf/index.js';
import { dequantize } from '../quant/index.js';
import type { EngineModel } from './EngineModel.js';
import { EngineModelError } from './EngineModelError.js';
import { LoraAdapter } from './LoraAdapter.js';

/**
 * Write a LoRA adapter in llama.cpp's adapter GGUF format (FACTS.md): general.type "adapter", adapter.type "lora",
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
      { key: 'general.architecture', type: T.STRING, value: model.spec.architecture },
      { key: 'general.type', type: T.STRING, value: 'adapter' },
      { key: 'general.name', type: T.STRING, value: opts.name ?? 'model-lab-lora' },
      { key: 'adapter.type', type: T.STRING, value: 'lora' },
      { key: 'adapter.lora.alpha', type: T.FLOAT32, value: adapter.alpha },
    ],
    tensors,
  }, { signal: opts.signal });
}

/** Read a LoRA adapter GGUF (ours or llama.cpp's converter's) onto a loaded model. */
export async function loadLoraGguf(model: EngineModel, path: string, opts: { signal?: AbortSignal } = {}): Promise<LoraAdapter> {
  const file = await readGguf(path, { signal: opts.signal });
  const md = file.metadata;
  if (md['general.type'] !== 'adapter' || md['adapter.type'] !== 'lora') {
    throw new EngineModelError('ENGINE_BAD_TENSOR', `${path} is not a LoRA adapter (general.type adapter, adapter.type lora)`);
  }
  if (md['general.architecture'] !== model.spec.architecture) {
    throw new EngineModelError('ENGINE_BAD_TENSOR', `${path} is an adapter for ${String(md['general.architecture'])}, not ${model.spec.architecture}`);
  }
  const byName = new Map(model.linears().map((w) => [w.name, w]));
  const as = file.tensors.filter((t) => t.name.endsWith('.weight.lora_a'));
  if (as.length === 0) throw new EngineModelError('ENGINE_MISSING_TENSOR', `${path} has no .lora_a tensors`);
  const r = as[0].shape[1];
  const alpha = typeof md['adapter.lora.alpha'] === 'number' ? md['adapter.lora.alpha'] : r;
  const adapter = new LoraAdapter(r, alpha);
  for (const ta of as) {
    const name = ta.name.slice(0, -'.weight.lora_a'.length);
    const tb = file.tensors.find((t) => t.name === `${name}.weight.lora_b`);
    const w = byName.get(name);
    if (!tb || !w) throw new EngineModelError('ENGINE_MISSING_TENSOR', `${path}: ${name} has no lora_b or no base tensor in the model`);
    if (ta.shape[0] !== w.cols || ta.shape[1] !== r || tb.shape[0] !== r || tb.shape[1] !== w.rows) {
      throw new EngineModelError('ENGINE_BAD_TENSOR', `${path}: ${name} lora_a [${ta.shape}] / lora_b [${tb.shape}] do not fit [${w.cols}, ${w.rows}] with r ${r}`);
    }
    adapter.add(w, dequantize(ta.type, await readTensorBytes(file, ta), ta.elements), dequantize(tb.type, await readTensorBytes(file, tb), tb.elements));
  }
  return adapter;
}
