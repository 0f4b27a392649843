/** Float buffers the elementwise ops accept: F32 in the model, F64 in finite-difference tests. */
export type Arr = Float32Array | Float64Array;

/**
 * RMSNorm forward, as llama.cpp computes it: out = x / sqrt(mean(x²) + eps) * w.
 * x, out: [N, C]; w: [C]; rstd: [N] (kept for the backward).
 */
export function rmsnormForward(out: Arr, rstd: Arr, x: Arr, w: Arr, N: number, C: number, eps: number): void {
  if (out instanceof Float32Array) { rmsnormF32(out, rstd, x, w, N, C, eps); return; }
  for (let t = 0; t < N; t++) { // F64 (finite-difference tests): exact
    const o = t * C;
    let ss = 0;
    for (let i = 0; i < C; i++) ss += x[o + i] * x[o + i];
    const r = 1 / Math.sqrt(ss / C + eps);
    rstd[t] = r;
    for (let i = 0; i < C; i++) out[o + i] = x[o + i] * r * w[i];
  }
}

/** F32 with ggml's rounding steps: mean, eps (a float32 in llama.cpp) and 1/sqrtf in f32, then (x·scale)·w, each
 *  product rounded to f32; the kernels' rmsnorm (KernelBackend.rmsnorm) computes the same to the bit. */
function rmsnormF32(out: Float32Array, rstd: Arr, x: Arr, w: Arr, N: number, C: number, eps: number): void {
  const f32 = Math.fround;
  for (let t = 0; t < N; t++) {
    const o = t * C;
    let ss = 0;
    for (let i = 0; i < C; i++) ss += x[o + i] * x[o + i];
    const r = f32(1 / f32(Math.sqrt(f32(f32(ss / C) + f32(eps)))));
    rstd[t] = r;
    for (let i = 0; i < C; i++) out[o + i] = f32(x[o + i] * r) * w[i];
  }
}

/**
 * RMSNorm backward. dx += …, dw += … (accumulates, so residual branches and tied uses add up).
 * dout, x, dx: [N, C]; w, dw: [C]; rstd: [N] from the forward. dw may be null for a frozen norm.
 */
export function rmsnormBackward(dx: Arr, dw: Arr | null, dout: Arr, x: Arr, w: Arr, rstd: Arr, N: number, C: number): void {
  for (let t = 0; t < N; t++) {
    const o = t * C;
    const r = rstd[t];
    // n = x·r; dn = dout·w; dx = r·(dn − n·mean(dn·n))
    let dot = 0;
    for (let i = 0; i < C; i++) {
      const n = x[o + i] * r;
      const dn = dout[o + i] * w[i];
      dot += dn * n;
      if (dw) dw[i] += dout[o + i] * n;
    }
    dot /= C;
    for (let i = 0; i < C; i++) dx[o + i] += r * (dout[o + i] * w[i] - x[o + i] * r * dot);
  }
}
