import { ModelLabError } from '../errors.js';

/** A weight kept by a backend in its stored GGUF type. ne = [cols (in), rows (out)]; rows are contiguous. */
export interface WeightHandle {
  readonly type: number;
  readonly cols: number;
  readonly rows: number;
  /** stored bytes (cols / blockSize · typeSize · rows) */
  readonly byteLength: number;
}

/**
 * The compute kernels the transformer engine runs on (CONTRACTS.md, "Kernels"). All calls are synchronous and
 * deterministic for a fixed backend (and thread count). Activations are row-major Float32Array.
 */
export interface KernelBackend {
  readonly name: string;
  readonly threads: number;
  /** The most bytes of weights, scratch and arrays the backend can hold (the WASM backend: its shared memory's
   *  maximum, at most 4 GiB in wasm32); absent when only the process's memory limits it. */
  readonly memoryLimit?: number;
  /** Bytes of that memory in use now (weights, scratch, allocF32 arrays); absent where memoryLimit is. */
  readonly memoryInUse?: number;
  /** Keep a stored weight (raw GGUF bytes in its own type) once; ne = [cols (in), rows (out)]. No F32 copy. */
  uploadWeight(type: number, bytes: Uint8Array, cols: number, rows: number): WeightHandle;
  /** y[m, rows] = x[m, cols] · Wᵀ   (y_t = W x_t for each of m tokens) */
  matmul(x: Float32Array, w: WeightHandle, m: number, y?: Float32Array): Float32Array;
  /**
   * y[m, rows] = r(x) · Wᵀ where r rounds x the way llama.cpp's CPU matmul converts activations for W's type
   * (roundLikeLlamaCpp: Q8_0 blocks for Q4_0/Q8_0, Q8_K blocks for K-quants, F16/BF16 for those, nothing for F32).
   * The WASM backend quantizes x to 8 bits itself and takes integer dot products, as llama.cpp does.
   */
  matmulRounded(x: Float32Array, w: WeightHandle, m: number, y?: Float32Array): Float32Array;
  /** dx[m, cols] = dy[m, rows] · W   (gradient w.r.t. the input); with `accumulate`, dx += dy · W instead (the
   *  WASM backend dequantizes W a tile at a time inside the product, as the forward does: no F32 copy of W). */
  matmulBackwardInput(dy: Float32Array, w: WeightHandle, m: number, dx?: Float32Array, accumulate?: boolean): Float32Array;
  /** dense F32: C[m,n] = alpha·op(A)·op(B) + beta·C, row-major; op = transpose when the flag is set.
   *  A is [m,k] (or [k,m] when transA), B is [k,n] (or [n,k] when transB). beta = 0 ignores C's old values. */
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Float32Array, b: Float32Array, beta: number, c: Float32Array): void;
  /** In place: each row of x [rows, cols] becomes the softmax of its valid columns, and 0 elsewhere. Causal:
   *  row i keeps columns ≤ i + cols − rows (the attention mask; cols − rows earlier positions, e.g. a KV cache). */
  softmax(x: Float32Array, rows: number, cols: number, causal?: boolean): void;
  /** In place: dp [rows, cols] becomes p ⊙ (dp − Σ_j p·dp) per row, the gradient w.r.t. the softmax input, where
   *  p [rows, cols] is softmax's output and dp the gradient w.r.t. it. */
  softmaxBackward(p: Float32Array, dp: Float32Array, rows: number, cols: number): void;
  /** SwiGLU forward: h[t, i] = silu(g[gOff + t·stride + i]) · u[uOff + t·stride + i] (· mask[i]); h [rows, cols].
   *  g and u may be one fused buffer (phi3's gate|up) with different offsets. */
  swiglu(h: Float32Array, g: Float32Array, gOff: number, u: Float32Array, uOff: number, stride: number, rows: number,
    cols: number, mask?: Float32Array | null): void;
  /** SwiGLU backward on swiglu's fused layout (gate at gu[t·stride + i], up at gu[uOff + t·stride + i]); dgu gets
   *  the gradients in the same layout, dh [rows, cols] is the gradient of the (masked) output. With `dmask`,
   *  dmask[i] += Σ_t dh·silu(gate)·up (the gradient w.r.t. a gate on neuron i, before the mask). */
  swigluBackward(dgu: Float32Array, dh: Float32Array, gu: Float32Array, uOff: number, stride: number, rows: number,
    cols: number, mask?: Float32Array | null, dmask?: Float32Array | null): void;
  /** RMSNorm with llama.cpp's float32 steps: out[t] = f32(x[t]·r_t)·w, r_t = 1/sqrt(f32(Σ x[t]² / cols) + eps) (the
   *  exact squares summed in float64, left to right; eps taken as float32, as llama.cpp stores it); rstd[t] = r_t.
   *  x, out [rows, cols]; w [cols]; rstd [rows]. */
  rmsnorm(out: Float32Array, rstd: Float32Array, x: Float32Array, w: Float32Array, rows: number, cols: number, eps: number): void;
  /** Rotary embedding in place on x [rows, nHeads·headDim]: the first 2·half values of each head rotate by the angle
   *  of (pos[t], pair i), cos/sin [maxPos, half]; pairs (2i, 2i+1) for 'norm', (i, i + half) for 'neox'; `inverse`
   *  rotates back (the backward). Each rotation in float64, rounded once to float32. */
  rope(x: Float32Array, rows: number, nHeads: number, headDim: number, pos: Int32Array, cos: Float32Array,
    sin: Float32Array, half: number, mode: 'norm' | 'neox', inverse?: boolean): void;
  /** y[i] += x[i] for i < n (residual adds). */
  add(y: Float32Array, x: Float32Array, n: number): void;
  freeWeight(w: WeightHandle): void;
  /** A zeroed F32 array the backend reads and writes without copying (the WASM backend: a view into its shared
   *  memory, so activations, gradients and LoRA weights kept there skip the copy in and out of every call). */
  allocF32(n: number): Float32Array;
  /** Returns an allocF32 array to the backend; other arrays are ignored. */
  freeF32(a: Float32Array): void;
  /** Frees the weights and stops the workers; every later call but the frees throws KernelDisposedError. */
  dispose(): void;
}

/** A kernel call got arguments it cannot work with (sizes, types, a freed weight). */
export class KernelArgumentError extends ModelLabError {
  override name = 'KernelArgumentError';
  constructor(message: string) {
    super('KERNEL_ARGUMENT', message);
  }
}

/** The backend was disposed; create a new one. */
export class KernelDisposedError extends ModelLabError {
  override name = 'KernelDisposedError';
  constructor() {
    super('KERNEL_DISPOSED', 'The compute backend was disposed; create a new one.');
  }
}

/** The WASM kernels could not start (missing build output, no shared memory, out of memory). */
export class KernelStartError extends ModelLabError {
  override name = 'KernelStartError';
  constructor(message: string) {
    super('KERNEL_START', message);
  }
}

/** A model's weights do not fit in the backend's memory (checkKernelMemory); nothing was loaded. */
export class KernelMemoryLimitError extends ModelLabError {
  override name = 'KernelMemoryLimitError';
  constructor(readonly neededBytes: number, readonly limitBytes: number, what: string) {
    super('MODEL_TOO_LARGE', `${what} needs ${gib(neededBytes)} GiB of weights in the engine's kernel memory, which holds at most ` +
      `${gib(limitBytes)} GiB (a 32-bit WebAssembly memory); use a more quantized file (e.g. Q4_K_M) or the llama.cpp engine.`);
  }
}
const gib = (b: number): string => (b / 2 ** 30).toFixed(1);

/** Room the kernels keep for per-thread work areas, scratch and activations next to the weights. */
export const KERNEL_MEMORY_RESERVE = 256 * 2 ** 20;

/**
 * Throws KernelMemoryLimitError when `weightBytes` of stored weights (plus the reserve for activations) cannot fit
 * in the backend's memory: call it before loading anything, so a too-large model costs a header read, not minutes
 * of copying that end in an out-of-memory error.
 */
export function checkKernelMemory(backend: KernelBackend, weightBytes: number, what: string): void {
  const limit = backend.memoryLimit;
  if (limit !== undefined && weightBytes + KERNEL_MEMORY_RESERVE > limit) throw new KernelMemoryLimitError(weightBytes, limit, what);
}
