import { ggmlTypeTraits } from '../quant/ggmlTypes.js';
import { ByteWriter } from './ByteWriter.js';
import { GGUF_VALUE_TYPE as T, type GgufMetadataEntry, type GgufValue, type GgufValueTypeInfo } from './types.js';

export interface GgufTensorHeaderEntry {
  name: string;
  type: number;
  /** ne order */
  shape: number[];
  /** offset relative to the data section (a multiple of the alignment) */
  relOffset: number;
}

/** Encodes magic, version, counts, metadata and tensor infos, padded with zeros to the alignment. */
export function encodeGgufHeader(version: 2 | 3, metadata: GgufMetadataEntry[], tensors: GgufTensorHeaderEntry[], alignment: number): Uint8Array {
  const w = new ByteWriter();
  w.bytes(new Uint8Array([0x47, 0x47, 0x55, 0x46])); // "GGUF"
  w.u32(version);
  w.u64(tensors.length);
  w.u64(metadata.length);
  for (const e of metadata) {
    w.string(e.key);
    w.u32(e.type);
    encodeValue(w, { type: e.type, elementType: e.elementType, element: e.element }, e.value, e.key);
  }
  for (const t of tensors) {
    w.string(t.name);
    w.u32(t.shape.length);
    for (const ne of t.shape) w.u64(ne);
    w.u32(t.type);
    w.u64(t.relOffset);
  }
  w.zeros((alignment - (w.length % alignment)) % alignment);
  return w.result();
}

function encodeValue(w: ByteWriter, info: GgufValueTypeInfo, v: GgufValue, key: string): void {
  const bad = (): never => {
    throw new TypeError(`metadata '${key}': value ${String(v).slice(0, 40)} does not fit type ${info.type}`);
  };
  switch (info.type) {
    case T.UINT8: return typeof v === 'number' ? w.u8(v) : bad();
    case T.INT8: return typeof v === 'number' ? w.i8(v) : bad();
    case T.UINT16: return typeof v === 'number' ? w.u16(v) : bad();
    case T.INT16: return typeof v === 'number' ? w.i16(v) : bad();
    case T.UINT32: return typeof v === 'number' ? w.u32(v) : bad();
    case T.INT32: return typeof v === 'number' ? w.i32(v) : bad();
    case T.FLOAT32: return typeof v === 'number' ? w.f32(v) : bad();
    case T.FLOAT64: return typeof v === 'number' ? w.f64(v) : bad();
    case T.UINT64: return typeof v === 'number' || typeof v === 'bigint' ? w.u64(v) : bad();
    case T.INT64: return typeof v === 'number' || typeof v === 'bigint' ? w.i64(v) : bad();
    case T.BOOL: return typeof v === 'boolean' ? w.u8(v ? 1 : 0) : bad();
    case T.STRING: return typeof v === 'string' ? w.string(v) : bad();
    case T.ARRAY: {
      if (!Array.isArray(v) || info.elementType === undefined) return bad();
      w.u32(info.elementType);
      w.u64(v.length);
      for (const el of v) {
        const elInfo: GgufValueTypeInfo = info.element ?? { type: info.elementType, elementType: Array.isArray(el) ? inferElementType(el) : undefined };
        encodeValue(w, elInfo, el, key);
      }
      return;
    }
  }
  throw new TypeError(`metadata '${key}': unknown value type ${String(info.type)}`);
}

/** Element type of a nested array given without type info: strings, else INT32 numbers. */
function inferElementType(v: GgufValue[]): GgufValueTypeInfo['type'] {
  if (typeof v[0] === 'string') return T.STRING;
  if (typeof v[0] === 'boolean') return T.BOOL;
  if (typeof v[0] === 'number' && !Number.isInteger(v[0])) return T.FLOAT32;
  return T.INT32;
}

/** Bytes of tensor data for a type and shape; throws for an unknown type or a row that is not whole blocks. */
export function tensorDataBytes(type: number, shape: number[]): number {
  const traits = ggmlTypeTraits(type);
  if (!traits) throw new RangeError(`unknown GGML type id ${type}`);
  const ne0 = shape[0] ?? 1;
  if (ne0 % traits.blockSize !== 0) throw new RangeError(`rows of ${ne0} values are not whole ${traits.name} blocks of ${traits.blockSize}`);
  const elements = shape.reduce((a, b) => a * b, 1);
  return (elements / traits.blockSize) * traits.typeSize;
}
