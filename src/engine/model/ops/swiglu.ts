import type { Arr } from './rmsnorm.js';

/**
 * SwiGLU: h = silu(g) · u, optionally times a per-neuron gate m (FFN mask).
 * g, u, h: [N, F] as separate buffers with row strides gs/us (phi3's fused gate|up reads both halves of one
 * [N, 2F] buffer: pass the same array with offsets). mask: [F] or null.
 */
export function swigluForward(h: Arr, g: Arr, gOff: number, u: Arr, uOff: number, stride: number, N: number, F: number,
  mask: Arr | null): void {
  for (let t = 0; t < N; t++) {
    const gb = gOff + t * stride;
    const ub = uOff + t * stride;
    const hb = t * F;
    for (let i = 0; i < F; i++) {
      const gv = g[gb + i];
      const v = (gv / (1 + Math.exp(-gv))) * u[ub + i];
      h[hb + i] = mask ? v * mask[i] : v;
    }
  }
}

/**
 * SwiGLU backward. dh: [N, F] gradient of the (masked) output. Writes dg and du (same layout as the forward's
 * g and u). When `dmask` is given, dmask[i] += Σ_t dh·h_unmasked — the gradient w.r.t. a multiplicative gate on
 * neuron i (= Σ_j dL/dW'_ij·W_ij for a mask on the neuron's weights: the straight-through score gradient).
 */
export function swigluBackward(dg: Arr, du: Arr, dOff: number, uOffD: number, dstride: number, dh: Arr, g: Arr,
  gOff: number, u: Arr, uOff: number, stride: number, N: number, F: number, mask: Arr | null, dmask: Arr | null): void {
  for (let t = 0; t < N; t++) {
    const gb = gOff + t * stride;
    const ub = uOff + t * stride;
    const db = dOff + t * dstride;
    const dub = uOffD + t * dstride;
    const hb = t * F;
    for (let i = 0; i < F; i++) {
      const gv = g[gb + i];
      const uv = u[ub + i];
      const sg = 1 / (1 + Math.exp(-gv));
      const si = gv * sg;
      let d = dh[hb + i];
      if (dmask) dmask[i] += d * si * uv;
      if (mask) d *= mask[i];
      dg[db + i] = d * uv * sg * (1 + gv * (1 - sg));
      du[dub + i] = d * si;
    }
  }
}
