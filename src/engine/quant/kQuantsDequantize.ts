// 256-value super-block ("K") types, decoded to F32. Each super-block has one or two f16 factors (d, dmin) and
// per-sub-block scales (and mins) stored in 4, 6 or 8 bits. Layouts in bytes:
//   Q2_K (84):  scales[16] (lo nibble scale, hi nibble min) | qs[64] (2-bit) | d | dmin
//   Q3_K (110): hmask[32] (3rd bit) | qs[64] (2-bit) | scales[12] (16 × 6-bit) | d
//   Q4_K (144): d | dmin | scales[12] (8 × 6-bit scale + 8 × 6-bit min) | qs[128] (4-bit)
//   Q5_K (176): d | dmin | scales[12] | qh[32] (5th bit) | qs[128]
//   Q6_K (210): ql[128] (low 4 bits) | qh[64] (high 2 bits) | scales[16] (int8) | d
import { f16ToF32 } from './halfFloat.js';

const QK_K = 256;

function f16At(b: Uint8Array, at: number): number {
  return f16ToF32(b[at] | (b[at + 1] << 8));
}

export function dequantizeQ2_K(b: Uint8Array, out: Float32Array): void {
  for (let o = 0, p = 0; o < out.length; o += QK_K, p += 84) {
    const d = f16At(b, p + 80);
    const dmin = f16At(b, p + 82);
    let y = o;
    let is = 0;
    for (let half = 0; half < 2; half++) {
      const q = p + 16 + half * 32;
      for (let shift = 0; shift < 8; shift += 2) {
        for (let part = 0; part < 2; part++) {
          const sc = b[p + is++];
          const dl = d * (sc & 15);
          const ml = dmin * (sc >> 4);
          for (let l = 0; l < 16; l++) out[y++] = dl * ((b[q + part * 16 + l] >> shift) & 3) - ml;
        }
      }
    }
  }
}

/** The 16 6-bit Q3_K scales: low nibbles in bytes 0..7 (scale i and i+8), top 2 bits packed in bytes 8..11. */
function q3kScale(b: Uint8Array, s: number, i: number): number {
  const low = i < 8 ? b[s + i] & 15 : b[s + i - 8] >> 4;
  const high = (b[s + 8 + (i & 3)] >> (2 * (i >> 2))) & 3;
  return (low | (high << 4)) - 32;
}

export function dequantizeQ3_K(b: Uint8Array, out: Float32Array): void {
  for (let o = 0, p = 0; o < out.length; o += QK_K, p += 110) {
    const d = f16At(b, p + 108);
    let y = o;
    let is = 0;
    let m = 1;
    for (let half = 0; half < 2; half++) {
      const q = p + 32 + half * 32;
      for (let shift = 0; shift < 8; shift += 2, m <<= 1) {
        for (let part = 0; part < 2; part++) {
          const dl = d * q3kScale(b, p + 96, is++);
          for (let l = 0; l < 16; l++) {
            const k = part * 16 + l;
            const hi = b[p + k] & m ? 0 : 4;
            out[y++] = dl * (((b[q + k] >> shift) & 3) - hi);
          }
        }
      }
    }
  }
}

/** Scale and min of sub-block j (0..7) from the 12 packed bytes at s (Q4_K and Q5_K). */
export function kScaleMin(b: Uint8Array, s: number, j: number): [number, number] {
  if (j < 4) return [b[s + j] & 63, b[s + j + 4] & 63];
  return [(b[s + j + 4] & 15) | ((b[s + j - 4] >> 6) << 4), (b[s + j + 4] >> 4) | ((b[s + j] >> 6) << 4)];
}

export function dequantizeQ4_K(b: Uint8Array, out: Float32Array): void {
  for (let o = 0, p = 0; o < out.length; o += QK_K, p += 144) {
    const d = f16At(b, p);
    const dmin = f16At(b, p + 2);
    let y = o;
    for (let j = 0; j < 4; j++) {
      const [sc1, m1] = kScaleMin(b, p + 4, 2 * j);
      const [sc2, m2] = kScaleMin(b, p + 4, 2 * j + 1);
      const q = p + 16 + j * 32;
      for (let l = 0; l < 32; l++) out[y++] = d * sc1 * (b[q + l] & 15) - dmin * m1;
      for (let l = 0; l < 32; l++) out[y++] = d * sc2 * (b[q + l] >> 4) - dmin * m2;
    }
  }
}

export function dequantizeQ5_K(b: Uint8Array, out: Float32Array): void {
  for (let o = 0, p = 0; o < out.length; o += QK_K, p += 176) {
    const d = f16At(b, p);
    const dmin = f16At(b, p + 2);
    const qh = p + 16;
    let y = o;
    for (let j = 0; j < 4; j++) {
      const [sc1, m1] = kScaleMin(b, p + 4, 2 * j);
      const [sc2, m2] = kScaleMin(b, p + 4, 2 * j + 1);
      const q = p + 48 + j * 32;
      const u1 = 1 << (2 * j);
      const u2 = 2 << (2 * j);
      for (let l = 0; l < 32; l++) out[y++] = d * sc1 * ((b[q + l] & 15) + (b[qh + l] & u1 ? 16 : 0)) - dmin * m1;
      for (let l = 0; l < 32; l++) out[y++] = d * sc2 * ((b[q + l] >> 4) + (b[qh + l] & u2 ? 16 : 0)) - dmin * m2;
    }
  }
}

export function dequantizeQ6_K(b: Uint8Array, out: Float32Array): void {
  const s8 = new Int8Array(b.buffer, b.byteOffset, b.byteLength);
  for (let o = 0, p = 0; o < out.length; o += QK_K, p += 210) {
    const d = f16At(b, p + 208);
    for (let half = 0; half < 2; half++) {
      const ql = p + half * 64;
      const qh = p + 128 + half * 32;
      const sc = p + 192 + half * 8;
      const y = o + half * 128;
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const h = b[qh + l];
        const q1 = ((b[ql + l] & 15) | ((h & 3) << 4)) - 32;
        const q2 = ((b[ql + l + 32] & 15) | (((h >> 2) & 3) << 4)) - 32;
        const q3 = ((b[ql + l] >> 4) | (((h >> 4) & 3) << 4)) - 32;
        const q4 = ((b[ql + l + 32] >> 4) | (((h >> 6) & 3) << 4)) - 32;
        out[y + l] = d * s8[sc + is] * q1;
        out[y + l + 32] = d * s8[sc + is + 2] * q2;
        out[y + l + 64] = d * s8[sc + is + 4] * q3;
        out[y + l + 96] = d * s8[sc + is + 6] * q4;
      }
    }
  }
}
