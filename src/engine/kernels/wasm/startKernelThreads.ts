import { readFileSync } from 'node:fs';
import os from 'node:os';
import v8 from 'node:v8';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { KernelArgumentError, KernelStartError } from '../KernelBackend.js';
import { kernelFiles } from './kernelFiles.js';
import {
  CTRL_INTS, wasmApi, wasmImports, type KernelExports, type WasmInstance, type WasmMemory, type WasmModule, type WorkerInit,
} from './kernelProtocol.js';

export interface KernelThreadOptions {
  /** threads including the calling one (default: os.availableParallelism()) */
  threads?: number;
  /** upper bound of the shared memory, MiB (default and maximum 4096: wasm32) */
  maxMemoryMiB?: number;
  /** 'auto' (default): relaxed SIMD (fused multiply-add, i8 dot products) where the runtime has it on (Node ≥ 22),
   *  else plain SIMD; 'relaxed': turn it on where it is behind a flag (Node 20), or fail. */
  simd?: 'auto' | 'relaxed' | 'plain';
  wasmPath?: string;
  workerPath?: string;
}

export interface KernelThreads {
  threads: number;
  simd: 'relaxed' | 'plain';
  /** relaxed SIMD's i8 dot product is one instruction here (VNNI, Arm's sdot), not two multiplies (relaxedDotProbe) */
  fastI8Dot: boolean;
  memory: WasmMemory;
  /** the calling thread's instance */
  instance: WasmInstance;
  control: SharedArrayBuffer;
  /** threads − 1 workers, each with its own instance over the same memory, ready and waiting */
  workers: Worker[];
  maxBytes: number;
}

/** Compiles the kernels, makes the shared memory and starts the worker threads (resolves once all are ready). */
export async function startKernelThreads(opts: KernelThreadOptions = {}): Promise<KernelThreads> {
  const threads = Math.floor(opts.threads ?? os.availableParallelism());
  if (!(threads >= 1 && threads <= 256)) throw new KernelArgumentError(`threads must be 1…256, got ${opts.threads}.`);
  let maxMiB = Math.min(4096, Math.max(16, opts.maxMemoryMiB ?? 4096));
  const files = kernelFiles(opts);
  let memory: WasmMemory;
  let module: WasmModule;
  let instance: WasmInstance;
  let simd: 'relaxed' | 'plain' = 'plain';
  let fastI8Dot = false;
  try {
    ({ memory, maxMiB } = sharedMemory(maxMiB));
    let bytes: Uint8Array = readFileSync(files.wasm);
    const mode = opts.simd ?? 'auto';
    const relaxed = mode !== 'plain' && files.relaxedWasm ? readFileSync(files.relaxedWasm) : undefined;
    // 'auto' takes relaxed SIMD only where the runtime has it on; asked for, it is turned on (Node 20: a V8 flag)
    // the flag, once set, is process-wide: 'auto' ignores relaxed SIMD that only an earlier request turned on
    const on = relaxed !== undefined && (mode === 'relaxed' ? wasmApi.validate(relaxed) || (enableRelaxedSimd() && wasmApi.validate(relaxed))
      : !flagSetHere && wasmApi.validate(relaxed));
    if (relaxed && on) {
      bytes = relaxed;
      simd = 'relaxed';
    } else if (mode === 'relaxed') {
      throw new Error('this Node\'s WebAssembly has no relaxed SIMD');
    }
    module = await wasmApi.compile(bytes);
    instance = await wasmApi.instantiate(module, wasmImports(memory));
    if (simd === 'relaxed') {
      // where V8 lowers the i8 dot to two multiplies (x86 without VNNI) the relaxed kernels are no faster than the
      // plain ones, slower on Q6_K and sign-carrying Q8_0 (docs/benchmarks.md): 'auto' takes the plain build there
      fastI8Dot = (instance.exports as unknown as KernelExports).relaxedDotProbe(127, -1) !== TWO_MULTIPLIES;
      if (!fastI8Dot && mode === 'auto') {
        simd = 'plain';
        module = await wasmApi.compile(readFileSync(files.wasm));
        instance = await wasmApi.instantiate(module, wasmImports(memory));
      }
    }
  } catch (e) {
    throw new KernelStartError(`The WASM kernels could not start: ${(e as Error).message}`);
  }
  const control = new SharedArrayBuffer(CTRL_INTS * 4);
  const workers: Worker[] = [];
  try {
    await Promise.all(Array.from({ length: threads - 1 }, (_, i) => new Promise<void>((resolve, reject) => {
      const data: WorkerInit = { module, memory, control, tid: i + 1 };
      const w = startWorker(files.worker, data);
      workers.push(w);
      w.once('message', () => resolve());
      w.once('error', (err) => reject(err));
      w.once('exit', (code) => reject(new Error(`kernel worker exited with code ${code}`)));
    })));
  } catch (e) {
    for (const w of workers) void w.terminate();
    throw new KernelStartError(`A kernel worker could not start: ${(e as Error).message}`);
  }
  for (const w of workers) {
    w.removeAllListeners();
    w.on('error', () => undefined);
    w.unref();
  }
  return { threads, simd, fastI8Dot, memory, instance, control, workers, maxBytes: maxMiB * 2 ** 20 };
}

let flagSetHere = false;
/** relaxedDotProbe(127, −1) where pairs of products saturate at 32767 (x86's pmaddubsw): 2 · 2 · 32767 */
const TWO_MULTIPLIES = 65534;

/**
 * Node 20's V8 has relaxed SIMD behind a flag (on by default from Node 22 and in VS Code's newer hosts). V8 reads
 * the flag when it validates and compiles a module, so turning it on here, before compiling, is enough for this
 * thread and for the workers, which instantiate the module compiled here. Whether it took is judged by
 * WebAssembly.validate afterwards, never assumed. Returns false where the flag cannot be set.
 * Only on request (simd: 'relaxed'), not for 'auto': Node 20's V8 lowers the relaxed i8 dot product to two
 * multiplies (no VNNI instruction), so the relaxed kernels ran no faster than the plain ones there
 * (docs/benchmarks.md) and its baseline compiler got that dot product wrong.
 */
function enableRelaxedSimd(): boolean {
  flagSetHere = true;
  try {
    v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    // Node 20's baseline compiler (Liftoff) gets the relaxed i8 dot product wrong (its optimizing compiler gets it
    // right): compile every function with the optimizing compiler from the start.
    v8.setFlagsFromString('--no-liftoff');
    return true;
  } catch {
    return false;
  }
}

/**
 * Shared memory that may grow to maxMiB. A shared memory reserves its whole maximum of address space up front; where
 * the system refuses 4 GiB (a ulimit), settle for less, down to 256 MiB.
 */
function sharedMemory(maxMiB: number): { memory: WasmMemory; maxMiB: number } {
  for (let mib = maxMiB; ; mib = Math.floor(mib / 2)) {
    try {
      return { memory: new wasmApi.Memory({ initial: 32, maximum: mib * 16, shared: true }), maxMiB: mib };
    } catch (e) {
      if (mib <= 256) throw e;
    }
  }
}

/**
 * A worker on the bundled script, or — from source under tsx — an eval'd bootstrap that registers tsx in the
 * worker first (Node 20 does not pass `--import tsx` hooks on to worker threads).
 */
function startWorker(file: string, data: WorkerInit): Worker {
  if (!file.endsWith('.ts')) return new Worker(file, { workerData: data });
  const api = import.meta.resolve('tsx/esm/api');
  const target = pathToFileURL(file).href;
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); })`;
  return new Worker(boot, { eval: true, workerData: data });
}

