import type { KernelBackend, WeightHandle } from '../../kernels/index.js';
import type { LoraDropout } from './loraDropout.js';

/**
 * One weight matrix W [rows (out), cols (in)] (GGUF ne = [cols, rows]) — either trainable dense F32 (`data`,
 * full-weight training) or a frozen stored weight on the kernel backend (`handle`, any GGML type, no F32 copy).
 */
export interface Linear {
  name: string;
  rows: number;
  cols: number;
  /** GGML type id of the stored data (0 = F32). */
  type: number;
  /** [rows, cols] F32 values when the weight is dense (trainable or an F32 base). */
  data?: Float32Array;
  /** [rows, cols] gradient, allocated only when the weight is trained. */
  grad?: Float32Array;
  /** Stored weight on the backend (frozen base). */
  handle?: WeightHandle;
  /** Dequantize row r into out[off…off+cols) — the embedding lookup of a stored token_embd. */
  rowF32?: (r: number, out: Float32Array, off: number) => void;
  bias?: Float32Array;
  biasGrad?: Float32Array;
  /** Round the input like llama.cpp's matmul for this stored type (Q8_0/Q8_K/F16/BF16) — exact parity. */
  roundInput?: boolean;
}

/** A LoRA adapter on one Linear: W' = W + scale·B·A. a: [r, cols], b: [rows, r]; grads same shapes. */
export interface LoraPair {
  r: number;
  scale: number;
  a: Float32Array;
  b: Float32Array;
  gradA?: Float32Array;
  gradB?: Float32Array;
}

/**
 * y[m, rows] = x[m, cols] · Wᵀ (+ bias) (+ scale·(x·Aᵀ)·Bᵀ). With LoRA, `u` [m, r] receives x·Aᵀ (kept for the
 * backward). y is overwritten. A stored weight with roundInput takes llama.cpp's activation rounding inside the
 * kernel (matmulRounded: 8-bit activations, integer dot products). `_sameInputAsLast` (x unchanged since the
 * previous call: q/k/v, gate/up) is no longer needed: quantizing x inside the kernel costs O(m·cols).
 * `drop` (training with LoRA dropout): the LoRA branch reads drop.x = x ⊙ mask instead of x; W reads x.
 */
export function linearForward(be: KernelBackend, W: Linear, x: Float32Array, m: number, y: Float32Array,
  lora?: LoraPair | null, u?: Float32Array, _sameInputAsLast = false, drop?: LoraDropout): void {
  if (W.data) be.gemm(false, true, m, W.rows, W.cols, 1, x, W.data, 0, y);
  else if (W.roundInput) be.matmulRounded(x, W.handle!, m, y);
  else be.matmul(x, W.handle!, m, y);
  if (W.bias) {
    const b = W.bias;
    for (let t = 0; t < m; t++) for (let i = 0; i < W.rows; i++) y[t * W.rows + i] += b[i];
  }
  if (lora) {
    const uu = u ?? new Float32Array(m * lora.r);
    be.gemm(false, true, m, lora.r, W.cols, 1, drop ? drop.x : x, lora.a, 0, uu); // u[m,r] = x̃ Aᵀ (x̃ = x without dropout)
    be.gemm(false, true, m, W.rows, lora.r, lora.scale, uu, lora.b, 1, y); // y += scale · u Bᵀ
  }
}

/**
 * Backward of linearForward. dy: [m, rows]; x: [m, cols] the forward input; dx [m, cols] accumulates (+=) when
 * given. Accumulates W.grad / W.biasGrad when allocated, and lora.gradA/gradB when allocated. `drop`: the forward's
 * LoRA dropout (the same masks), so dA reads x̃ and the LoRA branch's share of dx is masked.
 */
export function linearBackward(be: KernelBackend, W: Linear, x: Float32Array, dy: Float32Array, m: number,
  dx: Float32Array | null, lora?: LoraPair | null, u?: Float32Array, drop?: LoraDropout): void {
  if (W.grad) be.gemm(true, false, W.rows, W.cols, m, 1, dy, x, 1, W.grad); // dW[rows,cols] += dyᵀ x
  if (W.biasGrad) {
    const g = W.biasGrad;
    for (let t = 0; t < m; t++) for (let i = 0; i < W.rows; i++) g[i] += dy[t * W.rows + i];
  }
  if (dx) {
    if (W.data) be.gemm(false, false, m, W.cols, W.rows, 1, dy, W.data, 1, dx); // dx += dy W
    else be.matmulBackwardInput(dy, W.handle!, m, dx, true); // dx += dy W, W dequantized a tile at a time
  }
  if (lora) {
    const r = lora.r;
    const du = new Float32Array(m * r);
    be.gemm(false, false, m, r, W.rows, lora.scale, dy, lora.b, 0, du); // du[m,r] = scale · dy B
    if (lora.gradB) be.gemm(true, false, W.rows, r, m, lora.scale, dy, u!, 1, lora.gradB); // dB += scale · dyᵀ u
    if (lora.gradA) be.gemm(true, false, r, W.cols, m, 1, du, drop ? drop.x : x, 1, lora.gradA); // dA += duᵀ x̃
    if (dx && drop) {
      const t = new Float32Array(m * W.cols);
      be.gemm(false, false, m, W.cols, r, 1, du, lora.a, 0, t); // dx̃ = du A
      for (let i = 0; i < t.length; i++) dx[i] += t[i]! * drop.mask[i]!; // dx += dx̃ ⊙ mask
    } else if (dx) be.gemm(false, false, m, W.cols, r, 1, du, lora.a, 1, dx); // dx += du A
  }
}
