import { open } from 'node:fs/promises';
import { throwIfAborted } from '../errors.js';
import { modelSpecFromGguf, readGguf, readTensorBytes, type GgufTensorInfo } from '../gguf/index.js';
import { archKey } from '../gguf/metadataKeys.js';
import { ffnWidths, globalTensors, LAYOUT_ARCHS, layerTensors, ROPE_FREQS_TENSOR, type LayoutDims, type TensorSlot } from '../gguf/tensorLayout.js';
import { checkKernelMemory, createReferenceBackend, weightLayout, type KernelBackend } from '../kernels/index.js';
import { dequantize } from '../quant/index.js';
import { EngineModel, type LayerWeights, type NormWeight } from './EngineModel.js';
import { checkEngineSupport } from './checkEngineSupport.js';
import { EngineModelError } from './EngineModelError.js';
import type { Linear } from './ops/linear.js';

/** The architectures the engine builds: those of the layout table. */
export const ENGINE_ARCHITECTURES: readonly string[] = LAYOUT_ARCHS;

export interface LoadEngineModelOptions {
  /** Kernel backend to compute with (default: a new reference backend, owned and disposed by the model). */
  backend?: KernelBackend;
  /**
   * Keep every weight as dense F32 in memory (to train all weights, e.g. the demo model). Default false: weights
   * stay in their stored type on the backend, never copied to F32.
   */
  dense?: boolean;
  /**
   * Round activations before each stored-weight matmul the way llama.cpp's CPU kernels do (to F16/BF16/Q8_0/Q8_K
   * by weight type), so log-probs match llama.cpp's. Default true; has no effect on F32 weights.
   */
  llamaCppRounding?: boolean;
  signal?: AbortSignal;
  /** Fraction of tensors loaded, in [0, 1]. */
  onProgress?: (fraction: number) => void;
}

/**
 * Load a llama / phi3 / qwen2 / deci GGUF for the engine, tensor by tensor as the layout table (tensorLayout.ts)
 * lists them, plus the rope_freqs factors when the file has them. Validates the file with our reader first and
 * refuses, before reading any tensor, what the engine would compute differently from llama.cpp (checkEngineSupport:
 * rope scaling, unknown tensors, weight types without a kernel); throws GgufFormatError or EngineModelError with a
 * message a user can act on.
 */
export async function loadEngineModel(path: string, opts: LoadEngineModelOptions = {}): Promise<EngineModel> {
  const file = await readGguf(path, { signal: opts.signal });
  const spec = modelSpecFromGguf(file);
  const layout = checkEngineSupport(file, spec, path, opts.dense === true);
  const widths = ffnWidths(spec.nFf, spec.nLayer);
  if (widths.length !== spec.nLayer) {
    throw new EngineModelError('ENGINE_BAD_TENSOR', `${path}: feed_forward_length has ${widths.length} entries for ${spec.nLayer} layers.`);
  }
  if (!layout.perLayerFfn && widths.some((f) => f !== widths[0])) {
    throw new EngineModelError('ENGINE_BAD_TENSOR', `${path}: layers with different FFN widths are not supported for ${spec.architecture} (llama.cpp refuses them too).`);
  }
  for (const key of ['headCount', 'headCountKv'] as const) {
    // deci may give head counts per layer (attention-free or "linear attention" layers): the engine keeps them uniform
    const v = file.metadata[archKey(spec.architecture, key)];
    if (Array.isArray(v) && v.some((h) => Number(h) !== Number(v[0]))) {
      throw new EngineModelError('ENGINE_UNSUPPORTED_ARCH', `${path}: ${archKey(spec.architecture, key)} differs between layers; the lab engine needs the same heads in every layer. Use the llama.cpp engine.`);
    }
  }
  const ownBackend = !opts.backend;
  const backend = opts.backend ?? createReferenceBackend();
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
  if (!opts.dense) {
    // every matrix but an untied embedding goes into the kernel memory (WASM: at most 4 GiB): refuse before loading
    const uploaded = file.tensors.filter((t) => t.shape.length === 2 && (spec.tiedOutput || t.name !== 'token_embd.weight'));
    try {
      checkKernelMemory(backend, uploaded.reduce((s, t) => s + t.bytes, 0), path);
    } catch (err) {
      if (ownBackend) backend.dispose();
      throw err;
    }
  }
  const total = file.tensors.length;
  let done = 0;
  const tick = (): void => { done++; opts.onProgress?.(done / total); };
  const info = (name: string, required = true): GgufTensorInfo | undefined => {
    const t = byName.get(name);
    if (!t && required) throw new EngineModelError('ENGINE_MISSING_TENSOR', `${path} has no tensor '${name}': it is not a complete ${spec.architecture} model.`);
    return t;
  };
  const fh = await open(path, 'r');
  let shared = new Uint8Array(0);
  const readShared = async (t: GgufTensorInfo): Promise<Uint8Array> => {
    if (shared.length < t.bytes) shared = new Uint8Array(t.bytes);
    const out = shared.subarray(0, t.bytes);
    let have = 0;
    while (have < t.bytes) {
      const { bytesRead } = await fh.read(out, have, t.bytes - have, t.offset + have);
      if (bytesRead === 0) throw new EngineModelError('ENGINE_BAD_TENSOR', `${path} ended inside tensor '${t.name}': it changed on disk while loading.`);
      have += bytesRead;
    }
    return out;
  };
  const f32 = async (t: GgufTensorInfo): Promise<Float32Array> => dequantize(t.type, await readTensorBytes(file, t), t.elements);

  const vector = async (name: string, len: number, required = true): Promise<Float32Array | undefined> => {
    const t = info(name, required);
    if (!t) return undefined;
    if (t.elements !== len) throw new EngineModelError('ENGINE_BAD_TENSOR', `${name} has ${t.elements} values; ${len} expected.`);
    const v = await f32(t);
    tick();
    return v;
  };
  const norm = async (base: string, C: number): Promise<NormWeight> => ({ name: base, data: (await vector(`${base}.weight`, C))! });
  const linear = async (base: string, rows: number, cols: number, opt: { keepRows?: boolean; upload?: boolean } = {}): Promise<Linear> => {
    throwIfAborted(opts.signal);
    const t = info(`${base}.weight`)!;
    if (t.shape.length !== 2 || t.shape[0] !== cols || t.shape[1] !== rows) {
      throw new EngineModelError('ENGINE_BAD_TENSOR', `${t.name} has shape [${t.shape.join(', ')}]; [${cols}, ${rows}] expected.`);
    }
    const w: Linear = { name: base, rows, cols, type: t.type };
    // a stored weight is copied by the backend: read it through one reused buffer (no garbage per tensor);
    // the embedding keeps its own bytes for row lookups
    const bytes = opts.dense || opt.keepRows ? await readTensorBytes(file, t) : await readShared(t);
    if (opts.dense) {
      w.data = dequantize(t.type, bytes, t.elements);
    } else {
      if (opt.upload !== false) w.handle = backend.uploadWeight(t.type, bytes, cols, rows);
      w.roundInput = opts.llamaCppRounding ?? true;
      if (opt.keepRows) {
        // embedding lookup: dequantize only the rows asked for, from the stored bytes
        const rb = weightLayout(t.type, cols, rows).rowBytes;
        w.rowF32 = (r, out, off) => out.set(dequantize(t.type, bytes.subarray(r * rb, (r + 1) * rb), cols), off);
      }
    }
    const bias = await vector(`${base}.bias`, rows, false);
    if (bias) w.bias = bias;
    tick();
    return w;
  };

  try {
    const C = spec.nEmbd;
    const dims: LayoutDims = { nEmbd: C, nVocab: spec.nVocab, nHead: spec.nHead, nHeadKv: spec.nHeadKv, headDim: spec.headDim,
      ffn: widths, tiedOutput: spec.tiedOutput };
    const load = async (t: TensorSlot): Promise<Linear | NormWeight> => (t.kind === 'norm' ? norm(t.base, t.cols)
      : linear(t.base, t.rows, t.cols, t.slot === 'tokenEmbd' ? { keepRows: true, upload: spec.tiedOutput } : {}));
    const top = new Map<string, Linear | NormWeight>();
    for (const t of globalTensors(dims)) top.set(t.slot, await load(t));
    const layers: LayerWeights[] = [];
    for (let i = 0; i < spec.nLayer; i++) {
      const L: Record<string, Linear | NormWeight> = {};
      for (const t of layerTensors(layout, dims, i, byName.has(`blk.${i}.attn_qkv.weight`))) L[t.slot] = await load(t);
      layers.push(L as unknown as LayerWeights);
    }
    const tokenEmbd = top.get('tokenEmbd') as Linear;
    const outputNorm = top.get('outputNorm') as NormWeight;
    const output = spec.tiedOutput ? tokenEmbd : top.get('output') as Linear;
    const freqs = byName.get(ROPE_FREQS_TENSOR);
    const ropeFreqFactors = freqs ? await f32(freqs) : undefined;
    if (freqs) tick();
    const model = new EngineModel(spec, backend, tokenEmbd, layers, outputNorm, output, ownBackend ? () => backend.dispose() : undefined);
    model.ropeFreqFactors = ropeFreqFactors;
    return model;
  } catch (err) {
    if (ownBackend) backend.dispose();
    throw err;
  } finally {
    // the embedding's row lookup closes over this scope: drop the read buffer (the largest tensor's size) with it
    shared = new Uint8Array(0);
    await fh.close();
  }
}
