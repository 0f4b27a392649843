import { ModelLabError } from '../../errors.js';
import type { WasmMemory } from './kernelProtocol.js';

/** The kernels need more memory than WebAssembly allows (4 GiB) or than the system gives. */
export class KernelOutOfMemoryError extends ModelLabError {
  override name = 'KernelOutOfMemoryError';
  constructor(bytes: number, limit: number) {
    super('KERNEL_OUT_OF_MEMORY', `The compute kernels need ${(bytes / 2 ** 20).toFixed(0)} MiB more but are limited to ` +
      `${(limit / 2 ** 20).toFixed(0)} MiB in all; use a smaller or more quantized model.`);
  }
}

const PAGE = 65536;
const ALIGN = 64;

/**
 * First-fit allocator over the shared WasmMemory above the module's static data. Grows the memory when
 * nothing free fits (growth is seen by every thread at once; wasm memory never shrinks, so freed blocks are
 * reused instead).
 */
export class WasmHeap {
  private readonly used = new Map<number, number>();
  /** free blocks [start, size], sorted by start, never adjacent */
  private free: Array<[number, number]> = [];
  private top: number;

  constructor(private readonly memory: WasmMemory, base: number, private readonly maxBytes: number) {
    this.top = Math.ceil(base / ALIGN) * ALIGN;
  }

  get bytesInUse(): number {
    let s = 0;
    for (const v of this.used.values()) s += v;
    return s;
  }

  alloc(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.free.length; i++) {
      const [start, len] = this.free[i];
      if (len < size) continue;
      if (len === size) this.free.splice(i, 1);
      else this.free[i] = [start + size, len - size];
      this.used.set(start, size);
      return start;
    }
    // Take from the top, merging a free block that ends there.
    let start = this.top;
    const last = this.free[this.free.length - 1];
    if (last && last[0] + last[1] === this.top) {
      start = last[0];
      this.free.pop();
    }
    const end = start + size;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      if (end > this.maxBytes) {
        if (start !== this.top) this.free.push([start, this.top - start]);
        throw new KernelOutOfMemoryError(end - have, this.maxBytes);
      }
      // Grow by at least 1/8 of the current size to keep the number of grow calls small.
      const want = Math.min(this.maxBytes, Math.max(end, have + Math.floor(have / 8)));
      try {
        this.memory.grow(Math.ceil((want - have) / PAGE));
      } catch {
        if (start !== this.top) this.free.push([start, this.top - start]);
        throw new KernelOutOfMemoryError(end - have, this.maxBytes);
      }
    }
    this.top = Math.max(this.top, end);
    this.used.set(start, size);
    return start;
  }

  release(ptr: number): void {
    const size = this.used.get(ptr);
    if (size === undefined) return;
    this.used.delete(ptr);
    let i = 0;
    while (i < this.free.length && this.free[i][0] < ptr) i++;
    this.free.splice(i, 0, [ptr, size]);
    // Coalesce with neighbours.
    if (i + 1 < this.free.length && this.free[i][0] + this.free[i][1] === this.free[i + 1][0]) {
      this.free[i][1] += this.free[i + 1][1];
      this.free.splice(i + 1, 1);
    }
    if (i > 0 && this.free[i - 1][0] + this.free[i - 1][1] === this.free[i][0]) {
      this.free[i - 1][1] += this.free[i][1];
      this.free.splice(i, 1);
    }
  }
}
