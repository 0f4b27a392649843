// F32 / F16 / BF16 rows: plain element-wise conversion, no blocks.
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './halfFloat.js';

export function dequantizeF32(bytes: Uint8Array, out: Float32Array): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(i * 4, true);
}

export function dequantizeF16(bytes: Uint8Array, out: Float32Array): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = f16ToF32(dv.getUint16(i * 2, true));
}

export function dequantizeBf16(bytes: Uint8Array, out: Float32Array): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = bf16ToF32(dv.getUint16(i * 2, true));
}

export function quantizeF32(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) dv.setFloat32(i * 4, values[i], true);
  return out;
}

export function quantizeF16(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) dv.setUint16(i * 2, f32ToF16(values[i]), true);
  return out;
}

export function quantizeBf16(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) dv.setUint16(i * 2, f32ToBf16(values[i]), true);
  return out;
}
