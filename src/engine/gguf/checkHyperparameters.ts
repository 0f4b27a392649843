import { GgufFormatError } from './GgufFormatError.js';
import { archKey, type ArchKeyName } from './metadataKeys.js';
import { archLayout } from './tensorLayout.js';
import type { GgufValue } from './types.js';

/**
 * Hyperparameter values that make llama.cpp (v0.4.0 in node-llama-cpp 3.21.1) hit a GGML_ASSERT and abort the
 * whole process while loading or building the graph — each one was measured. We refuse them with a GgufFormatError.
 *   any arch:  block_count 0; expert_count > 0 with expert_used_count 0 or > expert_count; experts used without any;
 *              a norm epsilon that is negative or NaN; rope.dimension_count odd, 0 (a hang) or above the head size
 *   llama/phi3/qwen2/deci (the architectures of tensorLayout.ts): head_count, head_count_kv, embedding_length or
 *   feed_forward_length 0 (deci: per-layer zeros are legal — no FFN, no attention, "linear attention" — except a
 *   FFN width of 0 in the last layer); head_count_kv not
 *   dividing head_count; key_length ≠ value_length; qwen2: rope.dimension_count ≠ the head size
 */
export function checkHyperparameters(arch: string, md: Record<string, GgufValue>, keyOffsets: Record<string, number>): void {
  const at = (key: ArchKeyName): number => keyOffsets[archKey(arch, key)] ?? 0;
  const num = (key: ArchKeyName): number | undefined => {
    const v = md[archKey(arch, key)];
    return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
  };
  const fail = (key: ArchKeyName, what: string): never => {
    throw new GgufFormatError('GGUF_BAD_HYPERPARAMETER', at(key), `${archKey(arch, key)} ${what} (llama.cpp aborts on it)`);
  };

  if (num('blockCount') === 0) fail('blockCount', 'is 0; a model needs at least one layer');
  const experts = num('expertCount') ?? 0;
  const used = num('expertUsedCount') ?? 0;
  if (experts > 0 && used === 0) fail('expertCount', `is ${experts} but expert_used_count is missing or 0`);
  if (used > experts) fail('expertUsedCount', `is ${used}, more than expert_count ${experts}`);
  for (const key of ['rmsEps', 'normEps'] as const) {
    const eps = num(key);
    if (eps !== undefined && !(eps >= 0 && Number.isFinite(eps))) fail(key, `is ${eps}; it must be a finite number ≥ 0`);
  }
  const rot = num('ropeDimensionCount');
  if (rot !== undefined && (rot === 0 || rot % 2 !== 0)) fail('ropeDimensionCount', `is ${rot}; it must be even and at least 2`);
  const heads = num('headCount');
  const embd = num('embeddingLength');
  const headSize = num('keyLength') ?? (heads && embd ? Math.floor(embd / heads) : undefined);
  if (rot !== undefined && headSize !== undefined && rot > headSize) fail('ropeDimensionCount', `(${rot}) is larger than the head size ${headSize}`);

  const layout = archLayout(arch);
  if (!layout) return;
  // deci: per-layer zeros are layers llama.cpp builds differently (no FFN; no attention or "linear attention")
  const nonZero: ArchKeyName[] = layout.perLayerFfn ? ['embeddingLength'] : ['embeddingLength', 'headCount', 'headCountKv', 'feedForwardLength'];
  if (layout.perLayerFfn) {
    // measured: llama.cpp's deci graph aborts (GGML_ASSERT(buffer)) when the last layer has no FFN
    const ff = md[archKey(arch, 'feedForwardLength')];
    const last = Array.isArray(ff) ? ff[ff.length - 1] : ff;
    if (last !== undefined && Number(last) === 0) fail('feedForwardLength', 'gives the last layer width 0; the last layer needs a FFN');
  }
  for (const key of nonZero) {
    const v = md[archKey(arch, key)];
    const values = Array.isArray(v) ? v : v === undefined ? [] : [v];
    if (values.some((x) => Number(x) === 0)) fail(key, 'is 0');
  }
  const nHead = num('headCount');
  const nHeadKv = num('headCountKv');
  const nEmbd = num('embeddingLength');
  if (nHead && nHeadKv && nHead % nHeadKv !== 0) fail('headCountKv', `(${nHeadKv}) does not divide head_count ${nHead}`);
  if (!nHead || !nEmbd) return;
  const headK = num('keyLength') ?? Math.floor(nEmbd / nHead);
  const headV = num('valueLength') ?? Math.floor(nEmbd / nHead);
  if (headK !== headV) fail('keyLength', `(${headK}) differs from the value head size ${headV}`);
  if (arch === 'qwen2' && rot !== undefined && rot !== headK) fail('ropeDimensionCount', `(${rot}) differs from the head size ${headK}`);
}
