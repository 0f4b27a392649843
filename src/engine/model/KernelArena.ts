import { KERNEL_MEMORY_RESERVE, KernelOutOfMemoryError, type KernelBackend } from '../kernels/index.js';

/**
 * The arrays of one training pass (activations, gradients), kept in the kernels' memory so that every kernel call
 * reads and writes them in place instead of copying them in and out, and freed by scope: a block's buffers go as
 * soon as its backward is done, so the kernels' memory holds what a pass needs at once, not all of it. When that
 * memory is nearly full (a 32-bit WebAssembly memory next to a large model), an array goes to JavaScript memory
 * instead: slower (copied per call), never wrong. The arena leaves the last KERNEL_MEMORY_RESERVE (a quarter of a
 * small memory) to the kernels' own scratch, which must fit there: the copies of such arrays go through it.
 */
export class KernelArena {
  private readonly scopes: Float32Array[][] = [[]];

  constructor(private readonly be: KernelBackend) {}

  /** A zeroed array in the newest open scope. */
  readonly alloc = (n: number): Float32Array => {
    let a: Float32Array | undefined;
    const limit = this.be.memoryLimit, inUse = this.be.memoryInUse;
    if (limit === undefined || inUse === undefined || inUse + 4 * n <= limit - Math.min(KERNEL_MEMORY_RESERVE, limit / 4)) {
      try {
        a = this.be.allocF32(n);
      } catch (e) {
        if (!(e instanceof KernelOutOfMemoryError)) throw e;
      }
    }
    a ??= new Float32Array(n);
    this.scopes[this.scopes.length - 1].push(a);
    return a;
  };

  /** Opens a scope: later allocations belong to it until it is closed. */
  open(): void {
    this.scopes.push([]);
  }

  /** Closes the newest scope, freeing its arrays except `keep`, which move to the scope below. */
  close(keep: Float32Array[] = []): void {
    const s = this.scopes.pop();
    if (!s || this.scopes.length === 0) throw new RangeError('KernelArena.close: no open scope');
    for (const a of s) {
      if (keep.includes(a)) this.scopes[this.scopes.length - 1].push(a);
      else this.be.freeF32(a);
    }
  }

  /** Closes the newest scope and hands its arrays to the caller (who frees them with release). */
  detach(): Float32Array[] {
    const s = this.scopes.pop();
    if (!s || this.scopes.length === 0) throw new RangeError('KernelArena.detach: no open scope');
    return s;
  }

  /** Frees arrays now (from any scope, or detached). */
  release(arrays: Float32Array[]): void {
    for (const a of arrays) {
      for (const s of this.scopes) {
        const i = s.indexOf(a);
        if (i >= 0) s.splice(i, 1);
      }
      this.be.freeF32(a);
    }
  }

  /** Frees everything still held. */
  dispose(): void {
    for (const s of this.scopes) for (const a of s) this.be.freeF32(a);
    this.scopes.length = 1;
    this.scopes[0] = [];
  }
}
