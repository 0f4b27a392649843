import { ShuffledStream } from './shuffledOrder.js';

/**
 * Training windows over one token stream: the stream is cut into non-overlapping pieces of seqLen − 1 tokens, each
 * preceded by BOS, and visited in a shuffled order that is new every epoch. The position in the data is one number
 * (`cursor` = windows consumed so far), so a checkpoint that stores it resumes the exact same sequence of batches.
 */
export class TokenWindows {
  readonly count: number;
  private readonly order: ShuffledStream;

  constructor(
    private readonly stream: Int32Array,
    private readonly seqLen: number,
    private readonly bosId: number,
    private readonly seed: number,
  ) {
    this.count = Math.floor(stream.length / (seqLen - 1));
    if (this.count < 1) throw new RangeError(`token stream of ${stream.length} tokens is shorter than one window of ${seqLen - 1}`);
    this.order = new ShuffledStream(this.count, seed);
  }

  /** The window at position `cursor` of the infinite shuffled sequence: [BOS, …seqLen − 1 tokens]. */
  window(cursor: number): Int32Array {
    const k = this.order.at(cursor);
    const out = new Int32Array(this.seqLen);
    out[0] = this.bosId;
    out.set(this.stream.subarray(k * (this.seqLen - 1), (k + 1) * (this.seqLen - 1)), 1);
    return out;
  }

  /** The first n windows in stream order (evaluation: fixed, not shuffled). */
  firstWindows(n: number): Int32Array[] {
    const out: Int32Array[] = [];
    for (let k = 0; k < Math.min(n, this.count); k++) {
      const w = new Int32Array(this.seqLen);
      w[0] = this.bosId;
      w.set(this.stream.subarray(k * (this.seqLen - 1), (k + 1) * (this.seqLen - 1)), 1);
      out.push(w);
    }
    return out;
  }
}
