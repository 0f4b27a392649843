import type { Linear } from './linear.js';

/** out[N, C] = rows of token_embd [V, C] picked by tokens [N]. */
export function embeddingForward(out: Float32Array, tokens: Int32Array, W: Linear): void {
  const C = W.cols;
  for (let t = 0; t < tokens.length; t++) {
    const id = tokens[t];
    if (W.data) out.set(W.data.subarray(id * C, (id + 1) * C), t * C);
    else W.rowF32!(id, out, t * C);
  }
}

/** W.grad[tok] += dout[t] for every token (only when the embedding is trained). */
export function embeddingBackward(dout: Float32Array, tokens: Int32Array, W: Linear): void {
  if (!W.grad) return;
  const C = W.cols;
  const g = W.grad;
  for (let t = 0; t < tokens.length; t++) {
    const o = tokens[t] * C;
    for (let i = 0; i < C; i++) g[o + i] += dout[t * C + i];
  }
}
