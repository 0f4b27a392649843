// Random stored weights of every kernel type for the tests: random bytes for the quants (all bit patterns),
// with sane f16 scales put in where each block keeps them.
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** float → IEEE half bits (round to nearest; inputs here are small normal numbers). */
export function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const e = ((u >>> 23) & 0xff) - 127 + 15;
  if (e <= 0) return sign;
  const m = (u & 0x7fffff) + 0x1000;
  return sign | (e << 10) + (m >>> 13);
}

/** [values per block, bytes per block, offsets of f16 scales within a block] */
const BLOCKS: Record<number, [number, number, number[]]> = {
  8: [32, 34, [0]], 2: [32, 18, [0]], 6: [32, 22, [0]], 12: [256, 144, [0, 2]], 13: [256, 176, [0, 2]], 14: [256, 210, [208]],
};

export function randomWeight(type: number, cols: number, rows: number, seed: number): Uint8Array {
  const r = rng(seed);
  const n = cols * rows;
  if (type === 0) return new Uint8Array(Float32Array.from({ length: n }, () => r() * 2 - 1).buffer);
  if (type === 1) return new Uint8Array(Uint16Array.from({ length: n }, () => toHalf(r() * 2 - 1)).buffer);
  if (type === 30) {
    const f = Float32Array.from({ length: n }, () => r() * 2 - 1);
    return new Uint8Array(Uint16Array.from(new Uint32Array(f.buffer), (u) => u >>> 16).buffer);
  }
  const [bs, bb, scales] = BLOCKS[type];
  const out = new Uint8Array((n / bs) * bb);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(r() * 256);
  const dv = new DataView(out.buffer);
  for (let b = 0; b < n / bs; b++) for (const o of scales) dv.setUint16(b * bb + o, toHalf(0.002 + r() * 0.05), true);
  return out;
}

export function randomVector(n: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}
