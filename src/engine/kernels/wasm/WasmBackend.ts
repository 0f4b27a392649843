import type { Worker } from 'node:worker_threads';
import { KernelArgumentError, KernelDisposedError, type KernelBackend, type WeightHandle } from '../KernelBackend.js';
import { roundLikeLlamaCpp } from '../llamaCppRounding.js';
import { KERNEL_TYPES, weightLayout } from '../weightTypes.js';
import {
  ARG, DONE, ERR, F_ALPHA, F_BETA, GEN, OP, STATE, close, OP_ADD, OP_EXIT, OP_GEMM, OP_QGEMM, OP_QUANTIZE, OP_RMSNORM, OP_ROPE, OP_SOFTMAX, OP_SOFTMAX_BACKWARD, OP_SWIGLU,
  OP_SWIGLU_BACKWARD, SPIN_POLLS,
  runShare, type KernelExports, type WasmInstance, type WasmMemory,
} from './kernelProtocol.js';
import { startKernelThreads, type KernelThreadOptions } from './startKernelThreads.js';
import { WasmHeap } from './WasmHeap.js';

export interface WasmBackendOptions extends KernelThreadOptions {
  /** Calls with less work than this (multiply-adds, plus 4 per dequantized weight) run on the calling thread
   *  alone: waking the workers costs more than they save (default 2^22; 0 = always use every thread). */
  parallelThreshold?: number;
}

/** qtype: the type the integer path is told (T_Q8_0_ABS for Q8_0 with no −128, see qgemm.ts), else `type` */
interface WasmWeight extends WeightHandle { ptr: number; rowBytes: number; owner: WasmBackend; qtype: number }

/** Weight types the integer path takes, and the 8-bit activation kind each pairs with (quantizeRows.ts). */
const Q8_KIND = new Map<number, number>([
  [KERNEL_TYPES.Q8_0, 0], [KERNEL_TYPES.Q4_0, 0], [KERNEL_TYPES.Q5_0, 0], [KERNEL_TYPES.Q4_K, 1], [KERNEL_TYPES.Q5_K, 1], [KERNEL_TYPES.Q6_K, 1],
]);
const MODE_NT = 0;
const MODE_NN = 1;
const F32 = 0;

/**
 * AssemblyScript SIMD kernels on worker_threads over one shared WebAssembly memory (see index.ts). Weights stay
 * in the memory in their stored type; a call places its activations (in place for allocF32 arrays, else through
 * scratch), takes chunks of the work on this thread alongside the workers that join, and places the result back.
 */
export class WasmBackend implements KernelBackend {
  get name(): string {
    return this.simd === 'relaxed' ? 'wasm-simd-fma' : 'wasm-simd';
  }
  /** the shared memory's maximum (4 GiB, or less where the system refuses to reserve that much) */
  readonly memoryLimit: number;
  private disposed = false;
  private readonly heap: WasmHeap;
  private readonly ex: KernelExports;
  private readonly ctl: Int32Array;
  private readonly flt: Float32Array;
  private readonly workBytes: number;
  private readonly work: number;
  /** i32 in wasm memory that hands out chunk numbers */
  private readonly counter: number;
  private scratch = 0;
  private scratchBytes = 0;
  private readonly weights = new Set<WasmWeight>();
  /** every buffer object the memory has handed out (a new one after each growth; all view the same memory) */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  /** starts of allocF32 blocks */
  private readonly arrays = new Set<number>();
  /** Settles when every worker thread has exited (after dispose). */
  readonly closed: Promise<void>;

  private constructor(
    readonly threads: number,
    /** 'relaxed': fused multiply-add kernels (relaxed SIMD); 'plain': 128-bit SIMD with separate mul and add */
    readonly simd: 'relaxed' | 'plain',
    /** the relaxed i8 dot is one instruction (startKernelThreads): Q8_0 takes it with the sign trick */
    readonly fastI8Dot: boolean,
    private readonly memory: WasmMemory,
    instance: WasmInstance,
    private readonly control: SharedArrayBuffer,
    private readonly workers: Worker[],
    maxBytes: number,
    private readonly parallelThreshold: number,
  ) {
    this.memoryLimit = maxBytes;
    this.ex = instance.exports as unknown as KernelExports;
    this.ctl = new Int32Array(control);
    this.flt = new Float32Array(control);
    this.heap = new WasmHeap(memory, Math.max(this.ex.heapBase(), 65536), maxBytes);
    this.workBytes = this.ex.WORK_BYTES.value as number;
    this.work = this.heap.alloc(this.workBytes * threads);
    this.counter = this.heap.alloc(64);
    this.closed = Promise.all(workers.map((w) => new Promise<void>((resolve) => w.once('exit', () => resolve())))).then(() => undefined);
  }

  static async create(opts: WasmBackendOptions = {}): Promise<WasmBackend> {
    const k = await startKernelThreads(opts);
    return new WasmBackend(k.threads, k.simd, k.fastI8Dot, k.memory, k.instance, k.control, k.workers, k.maxBytes,
      opts.parallelThreshold ?? 2 ** 22);
  }

  uploadWeight(type: number, bytes: Uint8Array, cols: number, rows: number): WeightHandle {
    this.alive();
    const l = weightLayout(type, cols, rows, bytes.byteLength);
    const ptr = this.heap.alloc(l.byteLength);
    new Uint8Array(this.memory.buffer, ptr, l.byteLength).set(bytes);
    const qtype = type === KERNEL_TYPES.Q8_0 && this.fastI8Dot && !hasMinus128(bytes) ? this.ex.T_Q8_0_ABS.value as number : type;
    const w: WasmWeight = { type, cols, rows, byteLength: l.byteLength, ptr, rowBytes: l.rowBytes, owner: this, qtype };
    this.weights.add(w);
    return w;
  }

  freeWeight(wh: WeightHandle): void {
    if (this.disposed) return; // dispose freed everything already
    const w = this.own(wh);
    this.weights.delete(w);
    this.heap.release(w.ptr);
  }

  /** Bytes of shared memory in use (weights, scratch, per-thread work areas). */
  get memoryInUse(): number {
    return this.heap.bytesInUse;
  }

  /**
   * A zeroed array that lives in the kernel memory: calls read and write it in place instead of copying it in and
   * out. It stays valid while the backend grows its memory; free it with freeF32.
   */
  allocF32(n: number): Float32Array {
    this.alive();
    checkCount(n, 'n');
    const ptr = this.heap.alloc(Math.max(1, n) * 4);
    this.arrays.add(ptr);
    const v = new Float32Array(this.f32().buffer, ptr, n);
    this.ex.zeroBytes(ptr, n * 4);
    return v;
  }

  freeF32(a: Float32Array): void {
    if (this.disposed || !this.resident(a) || !this.arrays.delete(a.byteOffset)) return;
    this.heap.release(a.byteOffset);
  }

  matmul(x: Float32Array, wh: WeightHandle, m: number, y?: Float32Array): Float32Array {
    this.alive();
    const w = this.own(wh);
    checkCount(m, 'm');
    need(x, m * w.cols, 'x');
    const out = result(y, m * w.rows, 'y');
    if (m === 0) return out;
    // y[m, rows] = x[m, cols] · Wᵀ: B(k, j) = W row j
    const [xp, yp] = this.place([{ arr: x, n: m * w.cols, load: true }, { arr: out, n: m * w.rows, load: false, out: true }]);
    this.gemmCall(m, w.rows, w.cols, xp, 0, w.cols, w.ptr, w.type, MODE_NT, w.rowBytes, yp, w.rows, 1, 0);
    this.unplace(out, yp, m * w.rows);
    return out;
  }

  matmulRounded(x: Float32Array, wh: WeightHandle, m: number, y?: Float32Array): Float32Array {
    this.alive();
    const w = this.own(wh);
    const kind = Q8_KIND.get(w.type);
    // Up to 3 tokens the float kernels dot straight from the stored rows, as fast as the integer tile (which
    // computes 4 tokens at a time) and without its packing: round in TypeScript and take that path.
    if (kind === undefined || m <= 3) return this.matmul(roundLikeLlamaCpp(w.type, x, m, w.cols), w, m, y);
    checkCount(m, 'm');
    need(x, m * w.cols, 'x');
    const out = result(y, m * w.rows, 'y');
    if (m === 0) return out;
    // x → 8-bit rows (the kind llama.cpp pairs with this weight type), then integer dot products against W
    const xv = this.ex.qValueShift(w.qtype);
    const [xp, yp, xq] = this.place([{ arr: x, n: m * w.cols, load: true }, { arr: out, n: m * w.rows, load: false, out: true }],
      this.ex.qBufferBytes(m, w.cols, kind, xv) / 4);
    this.opCall(OP_QUANTIZE, [xp, m, w.cols, kind, xq, xv], 8 * m * w.cols);
    this.opCall(OP_QGEMM, [m, w.rows, w.cols, xq, w.ptr, w.qtype, w.rowBytes, yp, w.rows, this.work],
      m * w.rows * w.cols + 2 * w.rows * w.cols);
    this.unplace(out, yp, m * w.rows);
    return out;
  }

  matmulBackwardInput(dy: Float32Array, wh: WeightHandle, m: number, dx?: Float32Array, accumulate = false): Float32Array {
    this.alive();
    const w = this.own(wh);
    checkCount(m, 'm');
    need(dy, m * w.rows, 'dy');
    const out = result(dx, m * w.cols, 'dx');
    if (m === 0) return out;
    const acc = accumulate && dx !== undefined;
    // dx[m, cols] (+)= dy[m, rows] · W: B(k, j) = W row k
    const [dyp, dxp] = this.place([{ arr: dy, n: m * w.rows, load: true }, { arr: out, n: m * w.cols, load: acc, out: true }]);
    this.gemmCall(m, w.cols, w.rows, dyp, 0, w.rows, w.ptr, w.type, MODE_NN, w.rowBytes, dxp, w.cols, 1, acc ? 1 : 0);
    this.unplace(out, dxp, m * w.cols);
    return out;
  }

  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
    a: Float32Array, b: Float32Array, beta: number, c: Float32Array): void {
    this.alive();
    checkCount(m, 'm'); checkCount(n, 'n'); checkCount(k, 'k');
    need(a, m * k, 'A'); need(b, k * n, 'B'); need(c, m * n, 'C');
    if (m === 0 || n === 0) return;
    if (k === 0) {
      for (let i = 0; i < m * n; i++) c[i] = beta === 0 ? 0 : beta * c[i];
      return;
    }
    const [ap, bp, cp] = this.place([
      { arr: a, n: m * k, load: true }, { arr: b, n: k * n, load: true }, { arr: c, n: m * n, load: beta !== 0, out: true },
    ]);
    this.gemmCall(m, n, k, ap, transA ? 1 : 0, transA ? m : k, bp, F32, transB ? MODE_NT : MODE_NN, (transB ? k : n) * 4,
      cp, n, alpha, beta);
    this.unplace(c, cp, m * n);
  }

  softmax(x: Float32Array, rows: number, cols: number, causal = false): void {
    this.alive();
    checkCount(rows, 'rows'); checkCount(cols, 'cols');
    need(x, rows * cols, 'x');
    if (rows === 0 || cols === 0) return;
    const [xp] = this.place([{ arr: x, n: rows * cols, load: true, out: true }]);
    this.opCall(OP_SOFTMAX, [xp, rows, cols, causal ? 1 : 0], 16 * rows * cols);
    this.unplace(x, xp, rows * cols);
  }

  softmaxBackward(p: Float32Array, dp: Float32Array, rows: number, cols: number): void {
    this.alive();
    checkCount(rows, 'rows'); checkCount(cols, 'cols');
    need(p, rows * cols, 'p'); need(dp, rows * cols, 'dp');
    if (rows === 0 || cols === 0) return;
    const [pp, dpp] = this.place([{ arr: p, n: rows * cols, load: true }, { arr: dp, n: rows * cols, load: true, out: true }]);
    this.opCall(OP_SOFTMAX_BACKWARD, [pp, dpp, rows, cols], 4 * rows * cols);
    this.unplace(dp, dpp, rows * cols);
  }

  swiglu(h: Float32Array, g: Float32Array, gOff: number, u: Float32Array, uOff: number, stride: number, rows: number,
    cols: number, mask?: Float32Array | null): void {
    this.alive();
    checkCount(rows, 'rows'); checkCount(cols, 'cols'); checkCount(gOff, 'gOff'); checkCount(uOff, 'uOff');
    if (rows === 0 || cols === 0) return;
    if (!(Number.isInteger(stride) && stride >= cols)) throw new KernelArgumentError(`stride ${stride} must be a whole number ≥ cols ${cols}.`);
    const span = (rows - 1) * stride + cols;
    need(h, rows * cols, 'h'); need(g, gOff + span, 'g'); need(u, uOff + span, 'u');
    if (mask) need(mask, cols, 'mask');
    // phi3 reads gate and up from one fused buffer: place it once
    const gv = g.subarray(gOff, gOff + span);
    const uv = g === u ? g.subarray(uOff, uOff + span) : u.subarray(uOff, uOff + span);
    const ops = [{ arr: gv, n: span, load: true }, { arr: uv, n: span, load: true }, { arr: h, n: rows * cols, load: false, out: true }];
    if (mask) ops.push({ arr: mask, n: cols, load: true });
    const [gp, up, hp, mp] = this.place(ops);
    this.opCall(OP_SWIGLU, [hp, gp, up, stride, rows, cols, mask ? mp : 0], 16 * rows * cols);
    this.unplace(h, hp, rows * cols);
  }

  swigluBackward(dgu: Float32Array, dh: Float32Array, gu: Float32Array, uOff: number, stride: number, rows: number,
    cols: number, mask?: Float32Array | null, dmask?: Float32Array | null): void {
    this.alive();
    checkCount(rows, 'rows'); checkCount(cols, 'cols'); checkCount(uOff, 'uOff');
    if (rows === 0 || cols === 0) return;
    if (!(Number.isInteger(stride) && stride >= cols)) throw new KernelArgumentError(`stride ${stride} must be a whole number ≥ cols ${cols}.`);
    const span = uOff + (rows - 1) * stride + cols;
    need(gu, span, 'gu'); need(dgu, span, 'dgu'); need(dh, rows * cols, 'dh');
    if (mask) need(mask, cols, 'mask');
    if (dmask) need(dmask, cols, 'dmask');
    const ops = [{ arr: gu, n: span, load: true }, { arr: dh, n: rows * cols, load: true },
      { arr: dgu, n: span, load: false, out: true }];
    if (mask) ops.push({ arr: mask, n: cols, load: true });
    if (dmask) ops.push({ arr: dmask, n: cols, load: true, out: true });
    const p = this.place(ops);
    const mp = mask ? p[3] : 0, dmp = dmask ? p[mask ? 4 : 3] : 0;
    this.opCall(OP_SWIGLU_BACKWARD, [p[2], p[1], p[0], uOff, stride, rows, cols, mp, dmp], 32 * rows * cols);
    // only the rows' gate and up slots are written: copy those back (a scratch slot holds nothing else of dgu)
    if (this.resident(dgu) && p[2] === dgu.byteOffset) { /* in place */ } else {
      const mem = this.f32(), base = p[2] >>> 2;
      for (let t = 0; t < rows; t++) {
        for (const o of [t * stride, uOff + t * stride]) dgu.set(mem.subarray(base + o, base + o + cols), o);
      }
    }
    if (dmask) this.unplace(dmask, dmp, cols);
  }

  rmsnorm(out: Float32Array, rstd: Float32Array, x: Float32Array, w: Float32Array, rows: number, cols: number, eps: number): void {
    this.alive();
    checkCount(rows, 'rows'); checkCount(cols, 'cols');
    if (rows === 0 || cols === 0) return;
    need(x, rows * cols, 'x'); need(out, rows * cols, 'out'); need(w, cols, 'w'); need(rstd, rows, 'rstd');
    const [op, rp, xp, wp] = this.place([{ arr: out, n: rows * cols, load: false, out: true }, { arr: rstd, n: rows, load: false, out: true },
      { arr: x, n: rows * cols, load: true }, { arr: w, n: cols, load: true }]);
    this.flt[F_ALPHA] = eps;
    this.opCall(OP_RMSNORM, [op, rp, xp, wp, rows, cols], 8 * rows * cols);
    this.unplace(out, op, rows * cols);
    this.unplace(rstd, rp, rows);
  }

  rope(x: Float32Array, rows: number, nHeads: number, headDim: number, pos: Int32Array, cos: Float32Array,
    sin: Float32Array, half: number, mode: 'norm' | 'neox', inverse = false): void {
    this.alive();
    checkCount(rows, 'rows'); checkCount(nHeads, 'nHeads'); checkCount(headDim, 'headDim'); checkCount(half, 'half');
    if (rows === 0 || nHeads === 0 || half === 0) return;
    if (2 * half > headDim) throw new KernelArgumentError(`${half} rotary pairs do not fit in a head of ${headDim} values.`);
    need(x, rows * nHeads * headDim, 'x');
    if (pos.length < rows) throw new KernelArgumentError(`pos has ${pos.length} values; it needs ${rows}.`);
    let maxPos = 0;
    for (let t = 0; t < rows; t++) {
      if (!(pos[t] >= 0)) throw new KernelArgumentError(`pos[${t}] is ${pos[t]}; positions start at 0.`);
      if (pos[t] > maxPos) maxPos = pos[t];
    }
    need(cos, (maxPos + 1) * half, 'cos'); need(sin, (maxPos + 1) * half, 'sin');
    const tab = (maxPos + 1) * half;
    // positions travel as their bytes (an f32 view of the i32 values; copies keep bytes)
    const posBits = new Float32Array(pos.buffer, pos.byteOffset, rows);
    const [xp, pp, cp, sp] = this.place([{ arr: x, n: rows * nHeads * headDim, load: true, out: true }, { arr: posBits, n: rows, load: true },
      { arr: cos, n: tab, load: true }, { arr: sin, n: tab, load: true }]);
    this.opCall(OP_ROPE, [xp, rows, nHeads, headDim, pp, cp, sp, half, mode === 'neox' ? 1 : 0, inverse ? 1 : 0], 8 * rows * nHeads * half);
    this.unplace(x, xp, rows * nHeads * headDim);
  }

  add(y: Float32Array, x: Float32Array, n: number): void {
    this.alive();
    checkCount(n, 'n');
    if (n === 0) return;
    need(y, n, 'y'); need(x, n, 'x');
    const [yp, xp] = this.place([{ arr: y, n, load: true, out: true }, { arr: x, n, load: true }]);
    this.opCall(OP_ADD, [yp, xp, n], 2 * n);
    this.unplace(y, yp, n);
  }

  /** A row-chunked op: integer args after the chunk counter; `work` decides whether the workers are woken. */
  private opCall(op: number, args: number[], work: number): void {
    const t = this.ctl;
    t[OP] = op;
    t.set([this.counter, ...args], ARG);
    Atomics.store(new Int32Array(this.memory.buffer, this.counter, 1), 0, 0);
    this.runAll(work >= this.parallelThreshold && this.workers.length > 0);
  }

  /**
   * Addresses of a call's operands: an array that lives in the kernel memory is used where it is (unless it is an
   * output overlapping another operand); the others get a scratch slot, filled from the array when `load`. With
   * `extra` floats, the address of one more scratch slot of that size comes last.
   */
  private place(ops: Array<{ arr: Float32Array; n: number; load: boolean; out?: boolean }>, extra = 0): number[] {
    const here = ops.map((o) => {
      if (!this.resident(o.arr)) return false;
      if (!o.out) return true;
      const lo = o.arr.byteOffset, hi = lo + o.n * 4;
      return !ops.some((p) => p !== o && this.resident(p.arr) && p.arr.byteOffset < hi && p.arr.byteOffset + p.n * 4 > lo);
    });
    const slots = this.scratchFor(...ops.map((o, i) => (here[i] ? 0 : o.n)), extra);
    const mem = this.f32();
    const ptrs = ops.map((o, i) => {
      if (here[i]) return o.arr.byteOffset;
      if (o.load) mem.set(o.arr.subarray(0, o.n), slots[i] >>> 2);
      return slots[i];
    });
    return extra ? [...ptrs, slots[ops.length]] : ptrs;
  }

  /** Copies an output back from its scratch slot (nothing to do when it was used in place). */
  private unplace(arr: Float32Array, ptr: number, n: number): void {
    if (this.resident(arr) && ptr === arr.byteOffset) return;
    arr.set(this.f32().subarray(ptr >>> 2, (ptr >>> 2) + n));
  }

  private resident(a: Float32Array): boolean {
    return this.buffers.has(a.buffer);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.weights.clear();
    this.arrays.clear();
    Atomics.store(this.ctl, OP, OP_EXIT);
    Atomics.store(this.ctl, STATE, 0);
    Atomics.add(this.ctl, GEN, 1);
    Atomics.notify(this.ctl, GEN);
    for (const w of this.workers) void w.terminate();
  }

  private gemmCall(M: number, N: number, K: number, a: number, aTrans: number, lda: number, b: number, type: number,
    mode: number, rowBytes: number, c: number, ldc: number, alpha: number, beta: number): void {
    const t = this.ctl;
    t[OP] = OP_GEMM;
    t.set([this.counter, M, N, K, a, aTrans, lda, b, type, mode, rowBytes, c, ldc, this.work], ARG);
    Atomics.store(new Int32Array(this.memory.buffer, this.counter, 1), 0, 0);
    this.flt[F_ALPHA] = alpha;
    this.flt[F_BETA] = beta;
    // The split depends on sizes only, so a fixed thread count still gives fixed results.
    // Dequantizing costs about 4 multiply-adds a weight; a few tokens on F32 weights are bound by reading them.
    const work = M * N * K + (type !== F32 ? 4 * N * K : M <= 3 ? N * K : 0);
    this.runAll(work >= this.parallelThreshold && this.workers.length > 0);
  }

  /** Runs the call in the control block here and, when `parallel`, on the workers that join in time. */
  private runAll(parallel: boolean): void {
    const t = this.ctl;
    Atomics.store(t, ERR, 0);
    Atomics.store(t, DONE, 0);
    Atomics.store(t, STATE, 0);
    if (parallel) {
      Atomics.add(t, GEN, 1);
      Atomics.notify(t, GEN);
    }
    let failure: unknown;
    try {
      runShare(this.ex, t, this.flt, 0, this.workBytes);
    } catch (e) {
      failure = e;
    }
    const helpers = close(t);
    let polls = 0;
    for (let done = Atomics.load(t, DONE); done < helpers; done = Atomics.load(t, DONE)) {
      if (++polls > SPIN_POLLS) Atomics.wait(t, DONE, done, 1000);
    }
    if (failure || Atomics.load(t, ERR)) {
      throw new KernelArgumentError(`A kernel failed: ${failure ? (failure as Error).message : 'in a worker thread'}.`);
    }
  }

  /** Scratch for the given float counts, one region each; reallocated (larger) when too small. */
  private scratchFor(...counts: number[]): number[] {
    const sizes = counts.map((n) => Math.ceil((n * 4) / 64) * 64);
    const total = sizes.reduce((s, v) => s + v, 0);
    if (total > this.scratchBytes) {
      const bytes = Math.max(total, Math.floor(this.scratchBytes * 1.5));
      if (this.scratch) this.heap.release(this.scratch);
      this.scratch = 0;
      this.scratchBytes = 0;
      this.scratch = this.heap.alloc(bytes);
      this.scratchBytes = bytes;
    }
    const out: number[] = [];
    let p = this.scratch;
    for (const s of sizes) { out.push(p); p += s; }
    return out;
  }

  private f32(): Float32Array {
    const buf = this.memory.buffer;
    this.buffers.add(buf);
    return new Float32Array(buf);
  }

  private alive(): void {
    if (this.disposed) throw new KernelDisposedError();
  }

  private own(wh: WeightHandle): WasmWeight {
    const w = wh as WasmWeight;
    if (w.owner !== this || !this.weights.has(w)) throw new KernelArgumentError('This weight was freed or belongs to another backend.');
    return w;
  }
}

/** Whether Q8_0 blocks (f16 scale, 32 int8) hold a −128, which |w| cannot carry in 7 bits. */
function hasMinus128(bytes: Uint8Array): boolean {
  for (let b = 0; b < bytes.length; b += 34) {
    for (let i = b + 2; i < b + 34; i++) if (bytes[i] === 0x80) return true;
  }
  return false;
}

function checkCount(v: number, what: string): void {
  if (!Number.isInteger(v) || v < 0) throw new KernelArgumentError(`${what} must be a whole number ≥ 0, got ${v}.`);
}
function need(a: Float32Array, n: number, what: string): void {
  if (a.length < n) throw new KernelArgumentError(`${what} has ${a.length} values; it needs ${n}.`);
}
function result(given: Float32Array | undefined, n: number, what: string): Float32Array {
  if (!given) return new Float32Array(n);
  need(given, n, what);
  return given;
}

/** The fast backend (CONTRACTS.md): SIMD kernels on `threads` threads over one shared memory. */
export function createWasmBackend(opts?: WasmBackendOptions): Promise<KernelBackend> {
  return WasmBackend.create(opts);
}
