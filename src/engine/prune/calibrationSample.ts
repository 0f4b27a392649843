/**
 * The built-in calibration text, used when the user names none: a little English prose and a little TypeScript,
 * the two kinds of text an editor's model mostly sees. Written for Model Lab; a few hundred tokens in most
 * tokenizers, enough for the one-shot scores' statistics on small models. Real runs should pass their own text.
 */
export const CALIBRATION_SAMPLE = `The workshop opened at seven, when the light came in low over the benches and the smell of cut pine was still in
the air. Mara checked the list she had written the night before: two chairs to glue, a table leg to turn, and a
drawer that stuck in wet weather. She started with the drawer, because it was the smallest job and because small
jobs finished early make a long day feel shorter. A plane, a candle stub for the runners, and ten minutes later it
slid like new.

By noon the chairs were clamped and drying. Her apprentice asked why she glued them in the morning instead of at
the end of the day. "Glue needs time and warmth," she said, "and the afternoon sun does half the work for free."
He wrote that down, as he wrote down most things, in a notebook that was already more sawdust than paper.

Rivers carry more than water. They move sand, stones and whole trees; they cut valleys over thousands of years and
change course in a single flood. People have always settled beside them, for the fish, the fertile banks and the
easy road downstream, and have always paid for it when the water rose.

export interface Measurement {
  name: string;
  value: number;
  unit: 'ms' | 'bytes' | 'tokens/s';
}

/** Returns the median of the values, or undefined for an empty list. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(\`capacity must be a positive integer, got \${capacity}\`);
    this.items = new Array(capacity);
  }

  push(item: T): void {
    const end = (this.start + this.count) % this.capacity;
    this.items[end] = item;
    if (this.count < this.capacity) this.count++;
    else this.start = (this.start + 1) % this.capacity;
  }

  toArray(): T[] {
    return Array.from({ length: this.count }, (_, i) => this.items[(this.start + i) % this.capacity] as T);
  }
}

async function fetchWithRetry(url: string, attempts = 3): Promise<Response> {
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const res = await fetch(url);
      if (res.ok) return res;
      lastError = new Error(\`HTTP \${res.status} for \${url}\`);
    } catch (err) {
      lastError = err;
    }
    await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** i));
  }
  throw lastError;
}

The committee met on Thursday and agreed on three things: the budget for the new library wing, a later opening
hour on weekends, and a reading group for children during the summer holidays. The minutes were posted the next
morning, and by the afternoon the reading group already had a waiting list.
`;
