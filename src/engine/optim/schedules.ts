/** Learning rate as a function of the step index (0-based). */
export type LrSchedule = (step: number) => number;

/**
 * Linear warmup from 0 to `lr` over `warmupSteps`, then cosine decay to `minLr` at `totalSteps` (held after).
 */
export function warmupCosine(o: { lr: number; warmupSteps: number; totalSteps: number; minLr?: number }): LrSchedule {
  const minLr = o.minLr ?? 0;
  return (step) => {
    if (step < o.warmupSteps) return (o.lr * (step + 1)) / o.warmupSteps;
    const span = Math.max(1, o.totalSteps - o.warmupSteps);
    const p = Math.min(1, (step - o.warmupSteps) / span);
    return minLr + 0.5 * (o.lr - minLr) * (1 + Math.cos(Math.PI * p));
  };
}

/** Linear warmup then constant. */
export function warmupConstant(o: { lr: number; warmupSteps: number }): LrSchedule {
  return (step) => (step < o.warmupSteps ? (o.lr * (step + 1)) / o.warmupSteps : o.lr);
}
