import { Rng } from '../model/random.js';

/**
 * The order in which epoch `epoch` visits `count` examples: a Fisher–Yates shuffle seeded by (seed, epoch), so any
 * position of a run's data stream can be recomputed from the number of examples consumed (exact resume).
 */
export function shuffledOrder(count: number, seed: number, epoch: number): Uint32Array {
  const rng = new Rng((seed * 1000003 + epoch) >>> 0);
  const order = new Uint32Array(count);
  for (let i = 0; i < order.length; i++) order[i] = i;
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** Example index at position `cursor` of the endless stream of shuffled epochs over `count` examples. */
export class ShuffledStream {
  private epoch = -1;
  private order: Uint32Array = new Uint32Array(0);

  constructor(readonly count: number, private readonly seed: number) {
    if (count < 1) throw new RangeError('a training stream needs at least one example');
  }

  at(cursor: number): number {
    const epoch = Math.floor(cursor / this.count);
    if (epoch !== this.epoch) {
      this.order = shuffledOrder(this.count, this.seed, epoch);
      this.epoch = epoch;
    }
    return this.order[cursor % this.count]!;
  }
}
