/**
 * How the main thread hands one kernel call to the workers: a small SharedArrayBuffer of Int32 slots (floats in
 * a Float32Array view of the same bytes). The main thread writes the arguments, bumps GEN and notifies; each
 * worker runs its share (thread id ≥ 1; the main thread is id 0), then bumps DONE and notifies.
 */
export const CTRL_INTS = 32;
export const GEN = 0;
export const DONE = 1;
export const ERR = 2;
export const OP = 3;
/** first integer argument; floats live at F_ALPHA and F_BETA */
export const ARG = 4;
export const F_ALPHA = 24;
export const F_BETA = 25;

export const OP_GEMM = 1;
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
  gemmTask(tid: number, nth: number, M: number, N: number, K: number, a: number, aTrans: number, lda: number,
    b: number, type: number, mode: number, rowBytes: number, c: number, ldc: number, alpha: number, beta: number,
    work: number): void;
  heapBase(): number;
  WORK_BYTES: { value: unknown };
  MODE_NT: { value: unknown };
  MODE_NN: { value: unknown };
}

/** Runs thread `tid`'s share of the call described in the control block. */
export function runShare(ex: KernelExports, ctl: Int32Array, flt: Float32Array, tid: number, nth: number, workBytes: number): void {
  const op = ctl[OP];
  if (op === OP_GEMM) {
    const a = ARG;
    const work = ((ctl[a + 12] >>> 0) + tid * workBytes) | 0;
    ex.gemmTask(tid, nth, ctl[a], ctl[a + 1], ctl[a + 2], ctl[a + 3], ctl[a + 4], ctl[a + 5], ctl[a + 6], ctl[a + 7],
      ctl[a + 8], ctl[a + 9], ctl[a + 10], ctl[a + 11], flt[F_ALPHA], flt[F_BETA], work);
  }
}

export interface WorkerInit {
  module: WasmModule;
  memory: WasmMemory;
  control: SharedArrayBuffer;
  tid: number;
  nth: number;
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
