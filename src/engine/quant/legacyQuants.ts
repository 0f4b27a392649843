// 32-value block types. Layouts (bytes): Q4_0 = d f16 | 16 nibble bytes (low nibble → element j, high → j+16);
// Q4_1 = d f16 | m f16 | 16 nibble bytes; Q5_0 = d | qh u32 (5th bit of element j = bit j) | 16 nibble bytes;
// Q5_1 = d | m | qh | 16 nibbles; Q8_0 = d f16 | 32 × int8.  value = d·q (+ m), with q offset by -8 / -16 in _0 types.
import { f16ToF32, f32ToF16 } from './halfFloat.js';

const QK = 32;

function f16At(b: Uint8Array, at: number): number {
  return f16ToF32(b[at] | (b[at + 1] << 8));
}

export function dequantizeQ4_0(b: Uint8Array, out: Float32Array): void {
  for (let o = 0, p = 0; o < out.length; o += QK, p += 18) {
    const d = f16At(b, p);
    for (let j = 0; j < 16; j++) {
      const q = b[p + 2 + j];
      out[o + j] = ((q & 15) - 8) * d;
      out[o + j + 16] = ((q >> 4) - 8) * d;
    }
  }
}

export function dequantizeQ4_1(b: Uint8Array, out: Float32Array): void {
  for (let o = 0, p = 0; o < out.length; o += QK, p += 20) {
    const d = f16At(b, p);
    const m = f16At(b, p + 2);
    for (let j = 0; j < 16; j++) {
      const q = b[p + 4 + j];
      out[o + j] = (q & 15) * d + m;
      out[o + j + 16] = (q >> 4) * d + m;
    }
  }
}

function dequantizeQ5(b: Uint8Array, out: Float32Array, withMin: boolean): void {
  const size = withMin ? 24 : 22;
  for (let o = 0, p = 0; o < out.length; o += QK, p += size) {
    const d = f16At(b, p);
    const m = withMin ? f16At(b, p + 2) : 0;
    const h = withMin ? p + 4 : p + 2;
    const qh = (b[h] | (b[h + 1] << 8) | (b[h + 2] << 16) | (b[h + 3] << 24)) >>> 0;
    const qs = h + 4;
    const offset = withMin ? 0 : 16;
    for (let j = 0; j < 16; j++) {
      const lo = b[qs + j];
      const x0 = (lo & 15) | (((qh >>> j) & 1) << 4);
      const x1 = (lo >> 4) | (((qh >>> (j + 16)) & 1) << 4);
      out[o + j] = (x0 - offset) * d + m;
      out[o + j + 16] = (x1 - offset) * d + m;
    }
  }
}

export function dequantizeQ5_0(b: Uint8Array, out: Float32Array): void {
  dequantizeQ5(b, out, false);
}

export function dequantizeQ5_1(b: Uint8Array, out: Float32Array): void {
  dequantizeQ5(b, out, true);
}

export function dequantizeQ8_0(b: Uint8Array, out: Float32Array): void {
  const s = new Int8Array(b.buffer, b.byteOffset, b.byteLength);
  for (let o = 0, p = 0; o < out.length; o += QK, p += 34) {
    const d = f16At(b, p);
    for (let j = 0; j < QK; j++) out[o + j] = s[p + 2 + j] * d;
  }
}

/** round half away from zero, as C's roundf */
function roundf(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** Q8_0: d = absmax/127 (stored as f16), q = round(x/d). */
export function quantizeQ8_0(x: Float32Array): Uint8Array {
  const out = new Uint8Array((x.length / QK) * 34);
  for (let i = 0, p = 0; i < x.length; i += QK, p += 34) {
    let amax = 0;
    for (let j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(x[i + j]));
    const dh = f32ToF16(amax / 127);
    const d = f16ToF32(dh);
    const id = d ? 1 / d : 0;
    out[p] = dh & 255;
    out[p + 1] = dh >> 8;
    for (let j = 0; j < QK; j++) out[p + 2 + j] = Math.max(-127, Math.min(127, roundf(x[i + j] * id))) & 255;
  }
  return out;
}

/**
 * Q4_0: the value of largest magnitude maps to -8 exactly (d = -max/8), so both signs share 4 bits without
 * wasting a level; q = clamp(round(x/d) + 8, 0, 15).
 */
export function quantizeQ4_0(x: Float32Array): Uint8Array {
  const out = new Uint8Array((x.length / QK) * 18);
  for (let i = 0, p = 0; i < x.length; i += QK, p += 18) {
    let amax = 0;
    let max = 0;
    for (let j = 0; j < QK; j++) {
      const v = x[i + j];
      if (Math.abs(v) > amax) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const dh = f32ToF16(max / -8);
    const d = f16ToF32(dh);
    const id = d ? 1 / d : 0;
    out[p] = dh & 255;
    out[p + 1] = dh >> 8;
    for (let j = 0; j < 16; j++) {
      const q0 = Math.max(0, Math.min(15, Math.floor(x[i + j] * id + 8.5)));
      const q1 = Math.max(0, Math.min(15, Math.floor(x[i + j + 16] * id + 8.5)));
      out[p + 2 + j] = q0 | (q1 << 4);
    }
  }
  return out;
}
