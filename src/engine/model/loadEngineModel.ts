import { open } from 'node:fs/promises';
import { throwIfAborted } from '../errors.js';
import { modelSpecFromGguf, readGguf, readTensorBytes, type GgufTensorInfo } from '../gguf/index.js';
import { createReferenceBackend, weightLayout, type KernelBackend } from '../kernels/index.js';
import { dequantize } from '../quant/index.js';
import { EngineModel, type LayerWeights, type NormWeight } from './EngineModel.js';
import { EngineModelError } from './EngineModelError.js';
import type { Linear } from './ops/linear.js';

export const ENGINE_ARCHITECTURES = ['llama', 'phi3', 'qwen2'] as const;

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
 * Load a llama / phi3 / qwen2 GGUF for the engine. Validates the file with our reader first; throws
 * GgufFormatError or EngineModelError (unsupported architecture or layout) with a message a user can act on.
 */
export async function loadEngineModel(path: string, opts: LoadEngineModelOptions = {}): Promise<EngineModel> {
  const file = await readGguf(path, { signal: opts.signal });
  const spec = modelSpecFromGguf(file);
  if (!(ENGINE_ARCHITECTURES as readonly string[]).includes(spec.architecture)) {
    throw new EngineModelError('ENGINE_UNSUPPORTED_ARCH',
      `The lab engine runs llama, phi3 and qwen2 models; this one is '${spec.architecture}'. Use the llama.cpp engine.`);
  }
  if (Array.isArray(spec.nFf) && spec.nFf.some((f) => f !== (spec.nFf as number[])[0])) {
    throw new EngineModelError('ENGINE_BAD_TENSOR', `${path}: layers with different FFN widths are not supported for ${spec.architecture}.`);
  }
  const ownBackend = !opts.backend;
  const backend = opts.backend ?? createReferenceBackend();
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
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
    const C = spec.nEmbd, V = spec.nVocab, F = Array.isArray(spec.nFf) ? spec.nFf[0] : spec.nFf;
    const Ckv = spec.nHeadKv * spec.headDim, Cq = spec.nHead * spec.headDim;
    const tokenEmbd = await linear('token_embd', V, C, { keepRows: true, upload: spec.tiedOutput });
    const layers: LayerWeights[] = [];
    for (let i = 0; i < spec.nLayer; i++) {
      const p = `blk.${i}.`;
      const fused = byName.has(`${p}attn_qkv.weight`);
      const L: LayerWeights = {
        attnNorm: await norm(`${p}attn_norm`, C),
        wo: await linear(`${p}attn_output`, C, Cq),
        ffnNorm: await norm(`${p}ffn_norm`, C),
        wUp: await linear(`${p}ffn_up`, byName.has(`${p}ffn_gate.weight`) ? F : 2 * F, C),
        wDown: await linear(`${p}ffn_down`, C, F),
      };
      if (fused) L.wqkv = await linear(`${p}attn_qkv`, Cq + 2 * Ckv, C);
      else {
        L.wq = await linear(`${p}attn_q`, Cq, C);
        L.wk = await linear(`${p}attn_k`, Ckv, C);
        L.wv = await linear(`${p}attn_v`, Ckv, C);
      }
      if (byName.has(`${p}ffn_gate.weight`)) L.wGate = await linear(`${p}ffn_gate`, F, C);
      layers.push(L);
    }
    const outputNorm = await norm('output_norm', C);
    const output = spec.tiedOutput ? tokenEmbd : await linear('output', V, C);
    return new EngineModel(spec, backend, tokenEmbd, layers, outputNorm, output, ownBackend ? () => backend.dispose() : undefined);
  } catch (err) {
    if (ownBackend) backend.dispose();
    throw err;
  } finally {
    // the embedding's row lookup closes over this scope: drop the read buffer (the largest tensor's size) with it
    shared = new Uint8Array(0);
    await fh.close();
  }
}
