/**
 * Restart delays for a process that keeps dying: initial, ×2 each time, capped; a process that lived at least
 * `stableMs` starts the sequence over. After `maxAttempts` quick deaths in a row, `next` gives up (undefined).
 */
export class Backoff {
  private attempts = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly maxAttempts: number,
    private readonly stableMs: number,
  ) {}

  /** Delay before the next restart, given how long the last process lived; undefined = stop trying. */
  next(livedMs: number): number | undefined {
    if (livedMs >= this.stableMs) this.attempts = 0;
    if (this.attempts >= this.maxAttempts) return undefined;
    const delay = Math.min(this.maxMs, this.initialMs * 2 ** this.attempts);
    this.attempts++;
    return delay;
  }

  reset(): void {
    this.attempts = 0;
  }
}
