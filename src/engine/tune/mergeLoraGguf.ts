import { ModelLabError, throwIfAborted } from '../errors.js';
import { loraAdapterProblems, isLoraAdapter } from '../gguf/checkAdapter.js';
import { ADAPTER, GENERAL } from '../gguf/metadataKeys.js';
import { readGguf, readTensorBytes, rewriteGguf, type RewriteResult } from '../gguf/index.js';
import { dequantize, quantize } from '../quant/index.js';

export interface MergeOptions {
  /** Adapter scale (llama.cpp's user scale; the applied factor is scale·alpha/r). Default 1. */
  scale?: number;
  /**
   * Type of the merged tensors: 'f32' (default) keeps the sum exact, so the merged model scores as the base with the
   * adapter; 'source' re-encodes each into its stored type (smaller file, rounding error of that type).
   */
  mergedType?: 'f32' | 'source';
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

/**
 * Folds a LoRA adapter GGUF into a copy of its base: W' = W + scale·(alpha/r)·B·A for every adapted tensor, streamed
 * row block by row block through the GGUF rewriter (never the whole model in memory); every other tensor and all
 * metadata are copied as stored. The result is checked by our reader before it replaces `out`.
 */
export async function mergeLoraGguf(basePath: string, adapterPath: string, out: string, opts: MergeOptions = {}): Promise<RewriteResult> {
  const [base, adapter] = [await readGguf(basePath, { signal: opts.signal }), await readGguf(adapterPath, { signal: opts.signal })];
  if (!isLoraAdapter(adapter.metadata)) throw new ModelLabError('MERGE_NOT_ADAPTER', `${adapterPath} is not a LoRA adapter (general.type adapter, adapter.type lora).`);
  if (adapter.metadata[GENERAL.architecture] !== base.metadata[GENERAL.architecture]) {
    throw new ModelLabError('MERGE_WRONG_BASE', `${adapterPath} is an adapter for ${String(adapter.metadata[GENERAL.architecture])}, not ${String(base.metadata[GENERAL.architecture])}.`);
  }
  const { pairs, problems } = loraAdapterProblems(adapter, new Map(base.tensors.map((t) => [t.name, t.shape])));
  if (problems.length) throw new ModelLabError('MERGE_WRONG_BASE', `${adapterPath} does not fit ${basePath}: ${problems[0]}`);
  const scale = opts.scale ?? 1;
  const lora = new Map<string, { a: Float32Array; b: Float32Array; r: number; factor: number }>();
  for (const p of pairs) {
    throwIfAborted(opts.signal);
    const alphaValue = adapter.metadata[ADAPTER.loraAlpha];
    const alpha = typeof alphaValue === 'number' && alphaValue > 0 ? alphaValue : p.rank;
    lora.set(p.base, {
      a: dequantize(p.a.type, await readTensorBytes(adapter, p.a), p.a.elements), // [r, in]
      b: dequantize(p.b.type, await readTensorBytes(adapter, p.b), p.b.elements), // [out, r]
      r: p.rank,
      factor: (scale * alpha) / p.rank,
    });
  }
  return rewriteGguf(basePath, out, {
    tensor: (t) => {
      const l = lora.get(t.name);
      if (!l) return undefined;
      const type = opts.mergedType === 'source' ? t.type : 0;
      return [{
        name: t.name, type, shape: t.shape,
        data: (src) => (async function* () {
          const cols = t.shape[0]!;
          for await (const { row, values } of src.rowsF32(t)) {
            const rows = values.length / cols;
            // values [rows, cols] += factor · B[row…row+rows, :] · A
            for (let i = 0; i < rows; i++) {
              const bRow = (row + i) * l.r;
              const o = i * cols;
              for (let k = 0; k < l.r; k++) {
                const s = l.factor * l.b[bRow + k]!;
                if (s === 0) continue;
                const aRow = k * cols;
                for (let c = 0; c < cols; c++) values[o + c] += s * l.a[aRow + c]!;
              }
            }
            yield type === 0 ? new Uint8Array(values.buffer, values.byteOffset, values.byteLength) : quantize(type, values);
          }
        })(),
      }];
    },
    metadata: (entries) => entries.map((e) => (e.key === GENERAL.name && typeof e.value === 'string' ? { ...e, value: `${e.value} + ${String(adapter.metadata[GENERAL.name] ?? 'LoRA')}` } : e)),
  }, { signal: opts.signal, onProgress: opts.onProgress });
}
