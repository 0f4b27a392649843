import { AbortedError } from '../engine/errors.js';

/**
 * Runs tasks one at a time in arrival order. A llama.cpp session generates one reply at a time, so requests that
 * arrive while it is busy wait their turn instead of failing; a waiting task whose signal fires leaves the line
 * without running.
 */
export class RequestQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  /** Tasks queued or running. */
  get length(): number {
    return this.waiting;
  }

  run<T>(signal: AbortSignal, task: () => Promise<T>): Promise<T> {
    this.waiting++;
    const turn = this.tail.then(() => {
      if (signal.aborted) throw new AbortedError('The client went away before its turn');
      return task();
    });
    const done = turn.finally(() => this.waiting--);
    // the next task waits for this one to settle, whatever its outcome
    this.tail = done.catch(() => undefined);
    return done;
  }
}
