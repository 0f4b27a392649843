/**
 * How the main thread hands one kernel call to the workers: a small SharedArrayBuffer of Int32 slots (floats in
 * a Float32Array view of the same bytes). The main thread writes the arguments, opens STATE, bumps GEN and
 * notifies. A worker that wakes joins the call (one CAS on STATE) unless the main thread has closed it already,
 * then takes chunks of the work from a counter in wasm memory until none is left, and bumps DONE. The main
 * thread takes chunks too, then closes STATE and waits only for the workers that joined: a worker the OS has not
 * scheduled yet never holds a call up.
 */
export const CTRL_INTS = 32;
export const GEN = 0;
export const DONE = 1;
export const ERR = 2;
export const OP = 3;
/** joined-worker count, plus CLOSED once the main thread stops admitting workers */
export const STATE = 4;
export const CLOSED = 1 << 30;
/** first integer argument; floats live at F_ALPHA and F_BETA */
export const ARG = 5;
export const F_ALPHA = 24;
export const F_BETA = 25;

export const OP_GEMM = 1;
export const OP_SOFTMAX = 2;
export const OP_SOFTMAX_BACKWARD = 3;
export const OP_SWIGLU = 4;
export const OP_QUANTIZE = 5;
export const OP_QGEMM = 6;
export const OP_RMSNORM = 7;
export const OP_ROPE = 8;
export const OP_ADD = 9;
export const OP_SWIGLU_BACKWARD = 10;
export const OP_EXIT = 99;

/** Spin this many polls before sleeping in Atomics.wait (wake-up from a futex costs tens of microseconds). */
export const SPIN_POLLS = 20000;

/** The slice of the WebAssembly JS API the kernels use (lib ES2023 and @types/node 20 do not declare it). */
export interface WasmMemory { readonly buffer: ArrayBufferLike; grow(pages: number): number }
export type WasmModule = object;
export interface WasmInstance { readonly exports: object }
export type WasmImports = Record<string, Record<string, unknown>>;
interface WasmApi {
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  validate(bytes: Uint8Array): boolean;
  instantiate(module: WasmModule, imports: WasmImports): Promise<WasmInstance>;
  Instance: new (module: WasmModule, imports: WasmImports) => WasmInstance;
}
export const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** The exports of kernels.wasm (src/engine/kernels/wasm/assembly/index.ts). Pointers are u32 passed as i32. */
export interface KernelExports {
  gemmChunks(counter: number, M: number, N: number, K: number, a: number, aTrans: number, lda: number,
    b: number, type: number, mode: number, rowBytes: number, c: number, ldc: number, alpha: number, beta: number,
    work: number): void;
  softmaxChunks(counter: number, x: number, rows: number, cols: number, causal: number): void;
  softmaxBackwardChunks(counter: number, p: number, dp: number, rows: number, cols: number): void;
  swigluChunks(counter: number, h: number, g: number, u: number, stride: number, rows: number, cols: number, mask: number): void;
  quantizeChunks(counter: number, x: number, M: number, K: number, kind: number, q: number, xv: number): void;
  qBufferBytes(M: number, K: number, kind: number, xv: number): number;
  qValueShift(type: number): number;
  qgemmChunks(counter: number, M: number, N: number, K: number, xq: number, b: number, type: number,
    rowBytes: number, c: number, ldc: number, work: number): void;
  rmsnormChunks(counter: number, out: number, rstd: number, x: number, w: number, rows: number, cols: number, eps: number): void;
  ropeChunks(counter: number, x: number, rows: number, nHeads: number, headDim: number, pos: number, cos: number, sin: number,
    half: number, neox: number, inverse: number): void;
  addChunks(counter: number, y: number, x: number, n: number): void;
  zeroBytes(ptr: number, bytes: number): void;
  swigluBackwardChunks(counter: number, dgu: number, dh: number, gu: number, uOff: number, stride: number, rows: number,
    cols: number, mask: number, dmask: number): void;
  heapBase(): number;
  WORK_BYTES: { value: unknown };
  T_Q8_0_ABS: { value: unknown };
  relaxedDotProbe(a: number, b: number): number;
}

/** Runs chunks of the call in the control block on thread `tid` (0 = main) until none is left. */
export function runShare(ex: KernelExports, ctl: Int32Array, flt: Float32Array, tid: number, workBytes: number): void {
  const op = ctl[OP];
  if (op === OP_SOFTMAX) ex.softmaxChunks(ctl[ARG], ctl[ARG + 1], ctl[ARG + 2], ctl[ARG + 3], ctl[ARG + 4]);
  else if (op === OP_SOFTMAX_BACKWARD) ex.softmaxBackwardChunks(ctl[ARG], ctl[ARG + 1], ctl[ARG + 2], ctl[ARG + 3], ctl[ARG + 4]);
  else if (op === OP_SWIGLU) ex.swigluChunks(ctl[ARG], ctl[ARG + 1], ctl[ARG + 2], ctl[ARG + 3], ctl[ARG + 4], ctl[ARG + 5], ctl[ARG + 6], ctl[ARG + 7]);
  else if (op === OP_RMSNORM) ex.rmsnormChunks(ctl[ARG], ctl[ARG + 1], ctl[ARG + 2], ctl[ARG + 3], ctl[ARG + 4], ctl[ARG + 5], ctl[ARG + 6], flt[F_ALPHA]);
  else if (op === OP_ROPE) {
    ex.ropeChunks(ctl[ARG], ctl[ARG + 1], ctl[ARG + 2], ctl[ARG + 3], ctl[ARG + 4], ctl[ARG + 5], ctl[ARG + 6], ctl[ARG + 7], ctl[ARG + 8],
      ctl[ARG + 9], ctl[ARG + 10]);
  } else if (op === OP_ADD) ex.addChunks(ctl[ARG], ctl[ARG + 1], ctl[ARG + 2], ctl[ARG + 3]);
  else if (op === OP_SWIGLU_BACKWARD) {
    ex.swigluBackwardChunks(ctl[ARG], ctl[ARG + 1], ctl[ARG + 2], ctl[ARG + 3], ctl[ARG + 4], ctl[ARG + 5], ctl[ARG + 6], ctl[ARG + 7],
      ctl[ARG + 8], ctl[ARG + 9]);
  } else if (op === OP_QUANTIZE) ex.quantizeChunks(ctl[ARG], ctl[ARG + 1], ctl[ARG + 2], ctl[ARG + 3], ctl[ARG + 4], ctl[ARG + 5], ctl[ARG + 6]);
  else if (op === OP_QGEMM) {
    const a = ARG;
    // args: counter, M, N, K, xq, b, type, rowBytes, c, ldc, work base
    const work = ((ctl[a + 10] >>> 0) + tid * workBytes) | 0;
    ex.qgemmChunks(ctl[a], ctl[a + 1], ctl[a + 2], ctl[a + 3], ctl[a + 4], ctl[a + 5], ctl[a + 6], ctl[a + 7],
      ctl[a + 8], ctl[a + 9], work);
  } else if (op === OP_GEMM) {
    const a = ARG;
    // args: counter, M, N, K, a, aTrans, lda, b, type, mode, rowBytes, c, ldc, work base
    const work = ((ctl[a + 13] >>> 0) + tid * workBytes) | 0;
    ex.gemmChunks(ctl[a], ctl[a + 1], ctl[a + 2], ctl[a + 3], ctl[a + 4], ctl[a + 5], ctl[a + 6], ctl[a + 7],
      ctl[a + 8], ctl[a + 9], ctl[a + 10], ctl[a + 11], ctl[a + 12], flt[F_ALPHA], flt[F_BETA], work);
  }
}

/** Worker side: joins the open call, unless the main thread closed it already. */
export function tryJoin(ctl: Int32Array): boolean {
  for (;;) {
    const s = Atomics.load(ctl, STATE);
    if (s & CLOSED) return false;
    if (Atomics.compareExchange(ctl, STATE, s, s + 1) === s) return true;
  }
}

/** Main side: stops admitting workers; returns how many joined. */
export function close(ctl: Int32Array): number {
  for (;;) {
    const s = Atomics.load(ctl, STATE);
    if (Atomics.compareExchange(ctl, STATE, s, s | CLOSED) === s) return s & ~CLOSED;
  }
}

export interface WorkerInit {
  module: WasmModule;
  memory: WasmMemory;
  control: SharedArrayBuffer;
  tid: number;
}

export function wasmImports(memory: WasmMemory): WasmImports {
  return {
    env: {
      memory,
      abort(): never {
        throw new Error('kernel abort');
      },
    },
  };
}
