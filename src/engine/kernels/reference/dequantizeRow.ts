import { KernelArgumentError } from '../KernelBackend.js';

/** IEEE half → float (exact for every value, subnormals, inf and NaN included). */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

const f32 = Math.fround;
const bits = new Uint32Array(1);
const asFloat = new Float32Array(bits.buffer);

/** K-quant 6-bit scale and min of group j (0…7) from the 12 packed bytes at `p`. */
function scaleMinK4(b: Uint8Array, p: number, j: number): [number, number] {
  if (j < 4) return [b[p + j] & 63, b[p + j + 4] & 63];
  return [(b[p + j + 4] & 0xf) | ((b[p + j - 4] >> 6) << 4), (b[p + j + 4] >> 4) | ((b[p + j] >> 6) << 4)];
}

/**
 * Reference dequantization of one stored row: `cols` values starting at byte `off` of `b` → out[0…cols).
 * Plain code written from the GGML block layouts (FACTS.md); products are rounded to f32 like ggml does.
 */
export function dequantizeRow(type: number, b: Uint8Array, off: number, cols: number, out: Float32Array): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const half = (p: number): number => halfToFloat(dv.getUint16(p, true));
  switch (type) {
    case 0: for (let i = 0; i < cols; i++) out[i] = dv.getFloat32(off + 4 * i, true); return;
    case 1: for (let i = 0; i < cols; i++) out[i] = half(off + 2 * i); return;
    case 30: for (let i = 0; i < cols; i++) { bits[0] = dv.getUint16(off + 2 * i, true) << 16; out[i] = asFloat[0]; } return;
    case 8: // Q8_0: f16 d, int8[32]
      for (let blk = 0; blk < cols / 32; blk++) {
        const p = off + blk * 34; const d = half(p);
        for (let j = 0; j < 32; j++) out[blk * 32 + j] = f32(d * dv.getInt8(p + 2 + j));
      }
      return;
    case 2: // Q4_0: f16 d, 16 bytes: low nibble → j, high nibble → j + 16, value (q − 8)·d
      for (let blk = 0; blk < cols / 32; blk++) {
        const p = off + blk * 18; const d = half(p);
        for (let j = 0; j < 16; j++) {
          const q = b[p + 2 + j];
          out[blk * 32 + j] = f32(((q & 15) - 8) * d);
          out[blk * 32 + j + 16] = f32(((q >> 4) - 8) * d);
        }
      }
      return;
    case 12: // Q4_K: f16 d, f16 dmin, 12 bytes scales/mins, 128 bytes nibbles; groups of 32 share a scale and min
    case 13: { // Q5_K: same plus 32 bytes of high bits before the nibbles
      const q5 = type === 13;
      const bs = q5 ? 176 : 144;
      for (let blk = 0; blk < cols / 256; blk++) {
        const p = off + blk * bs; const d = half(p); const dmin = half(p + 2);
        const qh = p + 16; const qs = p + (q5 ? 48 : 16);
        for (let g = 0; g < 4; g++) {
          const [sc1, m1] = scaleMinK4(b, p + 4, 2 * g); const [sc2, m2] = scaleMinK4(b, p + 4, 2 * g + 1);
          const d1 = f32(d * sc1), n1 = f32(dmin * m1), d2 = f32(d * sc2), n2 = f32(dmin * m2);
          for (let l = 0; l < 32; l++) {
            const q = b[qs + 32 * g + l];
            const h1 = q5 && (b[qh + l] >> (2 * g)) & 1 ? 16 : 0;
            const h2 = q5 && (b[qh + l] >> (2 * g + 1)) & 1 ? 16 : 0;
            out[blk * 256 + 64 * g + l] = f32(f32(d1 * ((q & 15) + h1)) - n1);
            out[blk * 256 + 64 * g + 32 + l] = f32(f32(d2 * ((q >> 4) + h2)) - n2);
          }
        }
      }
      return;
    }
    case 14: // Q6_K: ql[128], qh[64], int8 scales[16], f16 d (last)
      for (let blk = 0; blk < cols / 256; blk++) {
        const p = off + blk * 210; const d = half(p + 208);
        for (let n = 0; n < 2; n++) {
          const ql = p + 64 * n; const qh = p + 128 + 32 * n; const sc = p + 192 + 8 * n; const y = blk * 256 + 128 * n;
          for (let l = 0; l < 32; l++) {
            const is = l >> 4; const h = b[qh + l];
            const q1 = ((b[ql + l] & 15) | ((h & 3) << 4)) - 32;
            const q2 = ((b[ql + l + 32] & 15) | (((h >> 2) & 3) << 4)) - 32;
            const q3 = ((b[ql + l] >> 4) | (((h >> 4) & 3) << 4)) - 32;
            const q4 = ((b[ql + l + 32] >> 4) | (((h >> 6) & 3) << 4)) - 32;
            out[y + l] = f32(f32(d * dv.getInt8(sc + is)) * q1);
            out[y + l + 32] = f32(f32(d * dv.getInt8(sc + is + 2)) * q2);
            out[y + l + 64] = f32(f32(d * dv.getInt8(sc + is + 4)) * q3);
            out[y + l + 96] = f32(f32(d * dv.getInt8(sc + is + 6)) * q4);
          }
        }
      }
      return;
    default:
      throw new KernelArgumentError(`Weight type ${type} has no reference dequantization.`);
  }
}
