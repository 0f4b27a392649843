// Types of a parsed GGUF file (see docs/dev/CONTRACTS.md). Shapes are in ggml `ne` order: innermost first.

/** GGUF metadata value type ids, as stored in the file. */
export const GGUF_VALUE_TYPE = Object.freeze({
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
});
export type GgufValueTypeId = (typeof GGUF_VALUE_TYPE)[keyof typeof GGUF_VALUE_TYPE];
export const GGUF_VALUE_TYPE_NAMES: readonly string[] = Object.keys(GGUF_VALUE_TYPE);

/** 64-bit integers are numbers when they fit in 2^53, bigints otherwise. */
export type GgufValue = number | bigint | boolean | string | GgufValue[];

/** The stored type of a metadata value; for arrays also the element type (and, for nested arrays, theirs). */
export interface GgufValueTypeInfo {
  type: GgufValueTypeId;
  /** element type, when type is ARRAY */
  elementType?: GgufValueTypeId;
  /** type info of the first element, when elementType is ARRAY (nested arrays) */
  element?: GgufValueTypeInfo;
}

export interface GgufTensorInfo {
  name: string;
  /** GGML type id */
  type: number;
  /** 'F32', 'Q4_K', … */
  typeName: string;
  /** ne order, innermost first */
  shape: number[];
  elements: number;
  /** absolute byte offset of the data in the file */
  offset: number;
  bytes: number;
}

export interface GgufFile {
  path?: string;
  version: 2 | 3;
  alignment: number;
  /** absolute offset of the tensor data section */
  dataOffset: number;
  fileBytes: number;
  metadata: Record<string, GgufValue>;
  metadataTypes: Record<string, GgufValueTypeInfo>;
  tensors: GgufTensorInfo[];
  /** things llama.cpp will refuse for its own reasons, or that look wrong, but that do not break the format */
  warnings: string[];
}

/** One metadata entry to write: the key, its GGUF value type (and element type for arrays), the value. */
export interface GgufMetadataEntry {
  key: string;
  type: GgufValueTypeId;
  /** for ARRAY */
  elementType?: GgufValueTypeId;
  /** for arrays of arrays: the inner arrays' type info (otherwise inferred from the values) */
  element?: GgufValueTypeInfo;
  value: GgufValue;
}
