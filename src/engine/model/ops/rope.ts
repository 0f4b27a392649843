import type { Arr } from './rmsnorm.js';

/** cos/sin of every (position, pair) for rotary embeddings: [maxPos, dims/2] each. */
export interface RopeTable { dims: number; maxPos: number; cos: Float32Array; sin: Float32Array; freqFactors?: Float32Array }

/**
 * theta(p, i) = p · base^(−2i/dims), the frequencies llama.cpp uses for both NORM and NEOX — computed with its
 * float32 steps (theta multiplied by powf(base, −2/dims) once per pair) so angles agree to the last bit.
 * `freqFactors` (a model's rope_freqs tensor, one factor per pair: Llama 3.1/3.2's long-context scaling baked in by
 * the converter) divides each pair's angle, theta(p, i) / factors[i], as llama.cpp does. Backward reads the same
 * table (rotation by −theta), so forward and backward both see the factors.
 */
export function ropeTable(dims: number, base: number, maxPos: number, freqFactors?: Float32Array): RopeTable {
  const f32 = Math.fround;
  const half = dims >> 1;
  const cos = new Float32Array(maxPos * half);
  const sin = new Float32Array(maxPos * half);
  if (freqFactors && freqFactors.length < half) {
    throw new RangeError(`ropeTable: ${freqFactors.length} frequency factors for ${half} rotary pairs`);
  }
  const scale = f32(Math.pow(base, f32(-2 / dims)));
  for (let p = 0; p < maxPos; p++) {
    let th = f32(p);
    for (let i = 0; i < half; i++) {
      const a = freqFactors ? f32(th / freqFactors[i]) : th;
      cos[p * half + i] = Math.cos(a);
      sin[p * half + i] = Math.sin(a);
      th = f32(th * scale);
    }
  }
  return { dims, maxPos, cos, sin, freqFactors };
}

/** Grow a table so it covers `maxPos` positions (prompts longer than the last call). */
export function ensureRope(t: RopeTable | undefined, dims: number, base: number, maxPos: number, freqFactors?: Float32Array): RopeTable {
  if (t && t.dims === dims && t.maxPos >= maxPos && t.freqFactors === freqFactors) return t;
  return ropeTable(dims, base, Math.max(maxPos, (t?.maxPos ?? 0) * 2, 64), freqFactors);
}

/**
 * Rotary embedding in place. x: [N, nHeads·headDim]; pos: [N] position of each token in its sequence.
 * Only the first `table.dims` dims of each head rotate. 'norm' pairs (2i, 2i+1) (llama); 'neox' pairs
 * (i, i + dims/2) (phi3, qwen2). `inverse` rotates by −theta: the backward of a rotation is its transpose.
 */
export function rope(x: Arr, N: number, nHeads: number, headDim: number, pos: Int32Array, table: RopeTable,
  mode: 'norm' | 'neox', inverse = false): void {
  const half = table.dims >> 1;
  const sgn = inverse ? -1 : 1;
  for (let t = 0; t < N; t++) {
    const tb = pos[t] * half;
    for (let h = 0; h < nHeads; h++) {
      const o = t * nHeads * headDim + h * headDim;
      for (let i = 0; i < half; i++) {
        const c = table.cos[tb + i];
        const s = sgn * table.sin[tb + i];
        const a = mode === 'norm' ? o + 2 * i : o + i;
        const b = mode === 'norm' ? a + 1 : a + half;
        const x0 = x[a];
        const x1 = x[b];
        x[a] = x0 * c - x1 * s;
        x[b] = x0 * s + x1 * c;
      }
    }
  }
}
