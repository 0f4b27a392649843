import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { ModelLabError } from '../errors.js';

/** One F32 tensor of a safetensors file: shape in numpy order (row-major, last dimension fastest). */
export interface SafeTensor { name: string; shape: number[]; data: Float32Array }

/**
 * Writes a safetensors file: an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape
 * and byte range in the data section, padded with spaces to 8 bytes, then the raw little-endian tensor bytes.
 */
export async function writeSafetensors(path: string, tensors: SafeTensor[], metadata: Record<string, string> = {}): Promise<void> {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  await writeFile(path, Buffer.concat([head, Buffer.from(json), ...tensors.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))]));
}

/** Reads the F32, F16 and BF16 tensors of a safetensors file as F32. */
export function readSafetensors(path: string): { tensors: SafeTensor[]; metadata: Record<string, string> } {
  const buf = readFileSync(path);
  const bad = (why: string): never => { throw new ModelLabError('SAFETENSORS_BAD', `${path} is not a readable safetensors file (${why}).`); };
  if (buf.length < 8) bad('too short');
  const n = Number(buf.readBigUInt64LE(0));
  if (8 + n > buf.length) bad('header runs past the end');
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  } catch {
    return bad('header is not JSON');
  }
  const base = 8 + n;
  const tensors: SafeTensor[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: [begin, end] } = info as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const count = shape.reduce((a, b) => a * b, 1);
    const bytes = buf.subarray(base + begin, base + end);
    if (base + end > buf.length) bad(`${name} runs past the end`);
    const data = new Float32Array(count);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (dtype === 'F32' && bytes.length === 4 * count) for (let i = 0; i < count; i++) data[i] = dv.getFloat32(4 * i, true);
    else if (dtype === 'BF16' && bytes.length === 2 * count) for (let i = 0; i < count; i++) data[i] = new Float32Array(new Uint32Array([dv.getUint16(2 * i, true) << 16]).buffer)[0]!;
    else if (dtype === 'F16' && bytes.length === 2 * count) for (let i = 0; i < count; i++) data[i] = halfToFloat(dv.getUint16(2 * i, true));
    else bad(`${name}: dtype ${dtype} with ${bytes.length} bytes for shape [${shape.join(', ')}]`);
    tensors.push({ name, shape, data });
  }
  return { tensors, metadata: (header.__metadata__ as Record<string, string> | undefined) ?? {} };
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}
