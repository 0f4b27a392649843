import type { GgufTensorInfo, ModelSpec, RewrittenTensor } from '../gguf/index.js';
import { PruneError } from './PruneError.js';

/** phi3 keys the deci architecture has no use for (llama.cpp ignores them; dropped to say nothing false). */
export const PHI3_DROPPED_KEYS: ReadonlySet<string> = new Set(['attention.sliding_window', 'rope.scaling.original_context_length']);

/**
 * Row order that turns a head's NEOX rope layout into the NORM layout: NEOX rotates the pairs (j, j + n/2), NORM
 * the pairs (2j, 2j + 1), with the same frequency for pair j; so new row 2j = old row j and new row 2j + 1 = old
 * row j + n/2 (n = rotated dims; rows past n stay). Applied to the Q and K rows of every head it leaves each q·k
 * dot product unchanged, since both sides are permuted alike and V is untouched.
 */
export function neoxToNormRows(headDim: number, ropeDims: number): number[] {
  const rows = Array.from({ length: headDim }, (_, d) => d);
  const half = ropeDims / 2;
  for (let j = 0; j < half; j++) { rows[2 * j] = j; rows[2 * j + 1] = j + half; }
  return rows;
}

/**
 * The phi3 tensors a deci file holds differently (the FFN's fused gate|up is split by the pruning writer):
 * attn_qkv becomes attn_q, attn_k, attn_v, with Q and K rows reordered from phi3's NEOX rope to deci's NORM.
 * Everything else is copied as stored. Throws PruneError for phi3 files with rope factor tensors (LongRoPE), which
 * the deci graph does not apply the same way.
 */
export function phi3ToDeciTensors(t: GgufTensorInfo, spec: ModelSpec): RewrittenTensor[] | undefined {
  if (/^rope_factors_(long|short)\.weight$/.test(t.name)) {
    throw new PruneError('PRUNE_UNSUPPORTED_ARCH', 'this phi3 model uses LongRoPE factors, which the deci architecture does not apply: prune it uniformly');
  }
  const m = /^blk\.(\d+)\.attn_qkv\.weight$/.exec(t.name);
  if (!m) return undefined;
  const D = spec.headDim, Cq = spec.nHead * D, Ckv = spec.nHeadKv * D;
  const perm = neoxToNormRows(D, spec.ropeDims);
  const heads = (offset: number, n: number): number[] => Array.from({ length: n }, (_, h) => perm.map((d) => offset + h * D + d)).flat();
  const p = `blk.${m[1]}.`;
  const C = t.shape[0];
  const q = heads(0, spec.nHead), k = heads(Cq, spec.nHeadKv);
  const v = Array.from({ length: Ckv }, (_, i) => Cq + Ckv + i);
  return [
    { name: `${p}attn_q.weight`, type: t.type, shape: [C, Cq], data: (src) => src.rows(t, q) },
    { name: `${p}attn_k.weight`, type: t.type, shape: [C, Ckv], data: (src) => src.rows(t, k) },
    { name: `${p}attn_v.weight`, type: t.type, shape: [C, Ckv], data: (src) => src.rows(t, v) },
  ];
}
