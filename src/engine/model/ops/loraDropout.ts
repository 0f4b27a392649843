/**
 * LoRA dropout as PEFT defines `lora_dropout`: during training the LoRA branch of a projection reads a dropped-out
 * copy of its input, x̃ = x ⊙ m with m[i] = 0 with probability p, else 1/(1−p) (inverted dropout: E[x̃] = x), while
 * the frozen base path W·x reads x itself. Each projection draws its own mask.
 *
 * The mask is not drawn from a stream but computed from (seed, projection name, element index) by an integer hash:
 * the block recomputed for the backward pass, and a run resumed from a checkpoint, see exactly the masks the first
 * pass saw, without storing them.
 */
export interface LoraDropout {
  /** [m, cols] the LoRA branch's input x ⊙ mask. */
  x: Float32Array;
  /** [m, cols] 0 or 1/(1−p). */
  mask: Float32Array;
}

/** A 32-bit finaliser (murmur3's fmix32): every input bit flips about half the output bits. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a of a projection's name: masks of different projections in the same pass are independent. */
function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The seed of one training pass's masks, from the run's seed and the pass's position in the data (its cursor). */
export function loraDropoutSeed(runSeed: number, cursor: number): number {
  return mix32(mix32(runSeed >>> 0) ^ Math.imul(cursor + 1, 0x9e3779b9));
}

/** x [m·cols] → { x ⊙ mask, mask } for projection `name` in the pass seeded `seed`; p in [0, 1). */
export function loraDropout(x: Float32Array, n: number, p: number, seed: number, name: string): LoraDropout {
  const mask = new Float32Array(n), xd = new Float32Array(n);
  const keep = 1 / (1 - p);
  // drop when the element's hash, as a fraction of 2^32, falls below p
  const threshold = Math.floor(p * 4294967296);
  const base = mix32((seed ^ nameHash(name)) >>> 0);
  for (let i = 0; i < n; i++) {
    if (mix32((base + Math.imul(i, 0x9e3779b9)) >>> 0) >= threshold) {
      mask[i] = keep;
      xd[i] = x[i]! * keep;
    }
  }
  return { x: xd, mask };
}
