import { GgufFormatError } from './GgufFormatError.js';
import type { GgufValue } from './types.js';

/** Architectures whose hyperparameters we know well enough to check against llama.cpp's asserts. */
const CHECKED_ARCHS = new Set(['llama', 'phi3', 'qwen2']);

/**
 * Hyperparameter values that make llama.cpp (v0.4.0 in node-llama-cpp 3.21.1) hit a GGML_ASSERT and abort the
 * whole process while loading or building the graph — each one was measured. We refuse them with a GgufFormatError.
 *   any arch:  block_count 0; expert_count > 0 with expert_used_count 0 or > expert_count; experts used without any;
 *              a norm epsilon that is negative or NaN; rope.dimension_count odd, 0 (a hang) or above the head size
 *   llama/phi3/qwen2: head_count, head_count_kv, embedding_length or feed_forward_length 0; head_count_kv not
 *   dividing head_count; key_length ≠ value_length; qwen2: rope.dimension_count ≠ the head size
 */
export function checkHyperparameters(arch: string, md: Record<string, GgufValue>, keyOffsets: Record<string, number>): void {
  const at = (key: string): number => keyOffsets[`${arch}.${key}`] ?? 0;
  const num = (key: string): number | undefined => {
    const v = md[`${arch}.${key}`];
    return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
  };
  const fail = (key: string, what: string): never => {
    throw new GgufFormatError('GGUF_BAD_HYPERPARAMETER', at(key), `${arch}.${key} ${what} (llama.cpp aborts on it)`);
  };

  if (num('block_count') === 0) fail('block_count', 'is 0; a model needs at least one layer');
  const experts = num('expert_count') ?? 0;
  const used = num('expert_used_count') ?? 0;
  if (experts > 0 && used === 0) fail('expert_count', `is ${experts} but expert_used_count is missing or 0`);
  if (used > experts) fail('expert_used_count', `is ${used}, more than expert_count ${experts}`);
  for (const key of ['attention.layer_norm_rms_epsilon', 'attention.layer_norm_epsilon']) {
    const eps = num(key);
    if (eps !== undefined && !(eps >= 0 && Number.isFinite(eps))) fail(key, `is ${eps}; it must be a finite number ≥ 0`);
  }
  const rot = num('rope.dimension_count');
  if (rot !== undefined && (rot === 0 || rot % 2 !== 0)) fail('rope.dimension_count', `is ${rot}; it must be even and at least 2`);
  const heads = num('attention.head_count');
  const embd = num('embedding_length');
  const headSize = num('attention.key_length') ?? (heads && embd ? Math.floor(embd / heads) : undefined);
  if (rot !== undefined && headSize !== undefined && rot > headSize) fail('rope.dimension_count', `(${rot}) is larger than the head size ${headSize}`);

  if (!CHECKED_ARCHS.has(arch)) return;
  for (const key of ['embedding_length', 'feed_forward_length', 'attention.head_count', 'attention.head_count_kv']) {
    const v = md[`${arch}.${key}`];
    const values = Array.isArray(v) ? v : v === undefined ? [] : [v];
    if (values.some((x) => Number(x) === 0)) fail(key, 'is 0');
  }
  const nHead = num('attention.head_count');
  const nHeadKv = num('attention.head_count_kv');
  const nEmbd = num('embedding_length');
  if (nHead && nHeadKv && nHead % nHeadKv !== 0) fail('attention.head_count_kv', `(${nHeadKv}) does not divide head_count ${nHead}`);
  if (!nHead || !nEmbd) return;
  const headK = num('attention.key_length') ?? Math.floor(nEmbd / nHead);
  const headV = num('attention.value_length') ?? Math.floor(nEmbd / nHead);
  if (headK !== headV) fail('attention.key_length', `(${headK}) differs from the value head size ${headV}`);
  if (arch === 'qwen2' && rot !== undefined && rot !== headK) fail('rope.dimension_count', `(${rot}) differs from the head size ${headK}`);
}
