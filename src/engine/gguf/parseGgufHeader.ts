import { ggmlTypeTraits } from '../quant/ggmlTypes.js';
import { ByteCursor } from './ByteCursor.js';
import { GgufFormatError } from './GgufFormatError.js';
import { GGUF_VALUE_TYPE as T, type GgufFile, type GgufTensorInfo, type GgufValue, type GgufValueTypeId, type GgufValueTypeInfo } from './types.js';
import { validateGguf } from './validateGguf.js';
import { GENERAL } from './metadataKeys.js';

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_DEFAULT_ALIGNMENT = 32;
/** ggml's GGML_MAX_NAME includes the terminating NUL */
const MAX_TENSOR_NAME_BYTES = 63;
const MAX_ARRAY_NESTING = 8;

/** Fixed byte size of scalar value types; the smallest encoding of strings and arrays. */
const MIN_VALUE_BYTES: Record<number, number> = {
  [T.UINT8]: 1, [T.INT8]: 1, [T.BOOL]: 1, [T.UINT16]: 2, [T.INT16]: 2, [T.UINT32]: 4, [T.INT32]: 4, [T.FLOAT32]: 4,
  [T.UINT64]: 8, [T.INT64]: 8, [T.FLOAT64]: 8, [T.STRING]: 8, [T.ARRAY]: 12,
};

/**
 * Parses and validates the header of a GGUF file (metadata and tensor infos, not tensor data) from its first
 * bytes. `fileBytes` is the size of the whole file when `bytes` is only a prefix (the default: bytes is the file).
 * Throws GgufFormatError for anything malformed; may throw NeedMoreBytes when the prefix is too short.
 */
export function parseGgufHeader(bytes: Uint8Array, fileBytes = bytes.length): GgufFile {
  const c = new ByteCursor(bytes, fileBytes);
  const magic = c.u32('the magic number');
  if (magic !== GGUF_MAGIC) throw new GgufFormatError('GGUF_BAD_MAGIC', 0, 'not a GGUF file (bad magic number)');
  const version = c.u32('the version');
  if (version === 1) throw new GgufFormatError('GGUF_BAD_VERSION', 4, 'GGUF version 1 is not supported: convert the model again with a current llama.cpp');
  if (version !== 2 && version !== 3) {
    const hint = version > 0xffff ? ' (a big-endian file? only little-endian GGUF is supported)' : '';
    throw new GgufFormatError('GGUF_BAD_VERSION', 4, `unsupported GGUF version ${version}${hint}`);
  }
  // a tensor info takes at least 8 (name length) + 4 (dims) + 4 (type) + 8 (offset) bytes
  const tensorCount = c.count('the tensor count', 24);
  // a key/value takes at least 8 (key length) + 4 (type) + 1 (value) bytes
  const kvCount = c.count('the metadata count', 13);

  // plain objects, but keys from the file are defined, never assigned: a key named __proto__ stays a key
  const metadata: Record<string, GgufValue> = {};
  const metadataTypes: Record<string, GgufValueTypeInfo> = {};
  const keyOffsets: Record<string, number> = {};
  for (let i = 0; i < kvCount; i++) {
    const at = c.pos;
    const key = c.string(`metadata key #${i}`);
    if (Object.hasOwn(metadata, key)) throw new GgufFormatError('GGUF_DUPLICATE_KEY', at, `metadata key '${key}' appears twice: corrupt file`);
    const typeAt = c.pos;
    const type = c.u32(`the type of '${key}'`);
    const info: GgufValueTypeInfo = { type: checkValueType(type, typeAt, key) };
    defineOwn(metadata, key, readValue(c, info, key, 0));
    defineOwn(metadataTypes, key, info);
    defineOwn(keyOffsets, key, at);
  }

  const alignment = readAlignment(metadata, metadataTypes, keyOffsets);

  const tensors: GgufTensorInfo[] = [];
  const names = new Set<string>();
  const relOffsets: number[] = [];
  const infoOffsets: number[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const at = c.pos;
    const name = c.string(`the name of tensor #${i}`);
    if (Buffer.byteLength(name) > MAX_TENSOR_NAME_BYTES) {
      throw new GgufFormatError('GGUF_TENSOR_NAME_TOO_LONG', at, `tensor name '${name.slice(0, 80)}' is longer than ggml's ${MAX_TENSOR_NAME_BYTES} bytes`);
    }
    if (names.has(name)) throw new GgufFormatError('GGUF_DUPLICATE_TENSOR', at, `tensor '${name}' appears twice: corrupt file`);
    names.add(name);
    const dimsAt = c.pos;
    const nDims = c.u32(`the dimension count of '${name}'`);
    if (nDims > 4) throw new GgufFormatError('GGUF_TOO_MANY_DIMS', dimsAt, `tensor '${name}' has ${nDims} dimensions; ggml allows at most 4`);
    const shape: number[] = [];
    let elements = 1n;
    for (let d = 0; d < nDims; d++) {
      const neAt = c.pos;
      const ne = c.i64(`dimension ${d} of '${name}'`);
      if (ne <= 0n) throw new GgufFormatError('GGUF_BAD_DIM', neAt, `tensor '${name}' has dimension ${d} = ${ne}; every dimension must be at least 1`);
      elements *= ne;
      if (elements > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new GgufFormatError('GGUF_TOO_MANY_ELEMENTS', neAt, `tensor '${name}' has more than 2^53 elements: corrupt file`);
      }
      shape.push(Number(ne));
    }
    const typeAt = c.pos;
    const type = c.u32(`the type of '${name}'`);
    const traits = ggmlTypeTraits(type);
    if (!traits) throw new GgufFormatError('GGUF_UNKNOWN_TENSOR_TYPE', typeAt, `tensor '${name}' has unknown type id ${type}: the file needs a newer reader`);
    const ne0 = shape.length > 0 ? shape[0] : 1;
    if (ne0 % traits.blockSize !== 0) {
      throw new GgufFormatError('GGUF_BAD_ROW_SIZE', dimsAt, `tensor '${name}' has rows of ${ne0} values, not a multiple of the ${traits.name} block size ${traits.blockSize}`);
    }
    const offAt = c.pos;
    const rel = c.u64(`the data offset of '${name}'`);
    if (rel > BigInt(fileBytes)) throw new GgufFormatError('GGUF_TENSOR_PAST_END', offAt, `tensor '${name}' data starts past the end of the file: truncated or corrupt file`);
    const n = Number(elements);
    tensors.push({ name, type, typeName: traits.name, shape, elements: n, offset: 0, bytes: (n / traits.blockSize) * traits.typeSize });
    relOffsets.push(Number(rel));
    infoOffsets.push(offAt);
  }

  const dataOffset = tensorCount > 0 || c.pos % alignment === 0 ? alignUp(c.pos, alignment) : c.pos;
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i];
    if (relOffsets[i] % alignment !== 0) {
      throw new GgufFormatError('GGUF_TENSOR_MISALIGNED', infoOffsets[i], `tensor '${t.name}' data offset ${relOffsets[i]} is not a multiple of the alignment ${alignment}`);
    }
    t.offset = dataOffset + relOffsets[i];
    if (t.offset + t.bytes > fileBytes) {
      throw new GgufFormatError('GGUF_TENSOR_PAST_END', infoOffsets[i], `tensor '${t.name}' data (${t.bytes} bytes at ${t.offset}) runs past the end of the ${fileBytes}-byte file: truncated download?`);
    }
  }
  const byOffset = tensors.map((t, i) => i).sort((a, b) => tensors[a].offset - tensors[b].offset);
  for (let k = 1; k < byOffset.length; k++) {
    const prev = tensors[byOffset[k - 1]];
    const cur = tensors[byOffset[k]];
    if (cur.offset < prev.offset + prev.bytes && cur.bytes > 0) {
      throw new GgufFormatError('GGUF_TENSOR_OVERLAP', infoOffsets[byOffset[k]], `tensors '${prev.name}' and '${cur.name}' overlap in the file: corrupt file`);
    }
  }

  const file: GgufFile = { version, alignment, dataOffset, fileBytes, metadata, metadataTypes, tensors, warnings: [] };
  validateGguf(file, keyOffsets, infoOffsets);
  return file;
}

export function defineOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

function checkValueType(type: number, at: number, key: string): GgufValueTypeId {
  if (!(type in MIN_VALUE_BYTES)) throw new GgufFormatError('GGUF_BAD_VALUE_TYPE', at, `metadata '${key}' has unknown value type ${type}: corrupt file`);
  return type as GgufValueTypeId;
}

function readValue(c: ByteCursor, info: GgufValueTypeInfo, key: string, depth: number): GgufValue {
  switch (info.type) {
    case T.UINT8: return c.u8(key);
    case T.INT8: return c.i8(key);
    case T.UINT16: return c.u16(key);
    case T.INT16: return c.i16(key);
    case T.UINT32: return c.u32(key);
    case T.INT32: return c.i32(key);
    case T.FLOAT32: return c.f32(key);
    case T.FLOAT64: return c.f64(key);
    case T.UINT64: return smallest(c.u64(key));
    case T.INT64: return smallest(c.i64(key));
    case T.BOOL: {
      const at = c.pos;
      const b = c.u8(key);
      if (b > 1) throw new GgufFormatError('GGUF_BAD_BOOL', at, `metadata '${key}' is a bool stored as ${b}: corrupt file`);
      return b === 1;
    }
    case T.STRING: return c.string(`the value of '${key}'`);
    case T.ARRAY: {
      if (depth >= MAX_ARRAY_NESTING) throw new GgufFormatError('GGUF_NESTING_TOO_DEEP', c.pos, `metadata '${key}' nests arrays more than ${MAX_ARRAY_NESTING} deep`);
      const typeAt = c.pos;
      const elementType = checkValueType(c.u32(`the element type of '${key}'`), typeAt, key);
      info.elementType = elementType;
      const n = c.count(`the length of array '${key}'`, MIN_VALUE_BYTES[elementType]);
      const out: GgufValue[] = new Array(n);
      if (elementType !== T.ARRAY) {
        // scalars and strings share one type-info object (vocabularies have 100k+ entries)
        const el: GgufValueTypeInfo = { type: elementType };
        for (let i = 0; i < n; i++) out[i] = readValue(c, el, key, depth + 1);
        return out;
      }
      for (let i = 0; i < n; i++) {
        const el: GgufValueTypeInfo = { type: elementType };
        out[i] = readValue(c, el, key, depth + 1);
        if (i === 0) info.element = el;
      }
      return out;
    }
  }
  throw new Error('unreachable');
}

function smallest(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
}

function readAlignment(metadata: Record<string, GgufValue>, types: Record<string, GgufValueTypeInfo>, at: Record<string, number>): number {
  if (!Object.hasOwn(metadata, GENERAL.alignment)) return GGUF_DEFAULT_ALIGNMENT;
  // llama.cpp reads it with gguf_get_val_u32, which aborts the process on any other type
  if (types[GENERAL.alignment].type !== T.UINT32) {
    throw new GgufFormatError('GGUF_BAD_KEY_TYPE', at[GENERAL.alignment], 'general.alignment must be a UINT32 (llama.cpp aborts otherwise)');
  }
  const a = metadata[GENERAL.alignment] as number;
  if (a === 0 || (a & (a - 1)) !== 0) {
    throw new GgufFormatError('GGUF_BAD_ALIGNMENT', at[GENERAL.alignment], `general.alignment is ${a}; it must be a power of two`);
  }
  return a;
}
