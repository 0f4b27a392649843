import { GgufFormatError } from './GgufFormatError.js';
import { modelSpecFromGguf, type ModelSpec } from './ModelSpec.js';
import { defineOwn } from './parseGgufHeader.js';
import { GGUF_VALUE_TYPE, GGUF_VALUE_TYPE_NAMES, type GgufFile, type GgufValue } from './types.js';
import { GENERAL } from './metadataKeys.js';

/** A JSON-safe value: 64-bit integers past 2^53 become decimal strings, non-finite floats null. */
export type JsonValue = number | string | boolean | null | JsonValue[] | { type: string; length: number };

export interface GgufSummary {
  architecture: string | null;
  /** null when the file is not a complete model (an adapter, a vocabulary) */
  spec: ModelSpec | null;
  /** arrays longer than maxArray elements are given as { type: element type name, length } */
  metadata: Record<string, JsonValue>;
  tensors: Array<{ name: string; type: string; shape: number[]; offset: number; bytes: number }>;
  parameters: number;
  fileBytes: number;
  /** tensor count and bytes per GGML type, largest first */
  byType: Array<{ type: string; tensors: number; bytes: number; parameters: number }>;
  version: number;
  alignment: number;
  warnings: string[];
}

/** What `model-lab inspect` and the Inspect panel show: everything JSON-safe, large arrays abbreviated. */
export function summarizeGguf(file: GgufFile, opts: { maxArray?: number } = {}): GgufSummary {
  const maxArray = opts.maxArray ?? 64;
  const metadata: Record<string, JsonValue> = {};
  for (const key of Object.keys(file.metadata)) {
    const v = file.metadata[key];
    const info = file.metadataTypes[key];
    if (Array.isArray(v) && v.length > maxArray) {
      defineOwn(metadata, key, { type: GGUF_VALUE_TYPE_NAMES[info.elementType ?? GGUF_VALUE_TYPE.UINT8], length: v.length });
    } else {
      defineOwn(metadata, key, toJson(v));
    }
  }
  let spec: ModelSpec | null = null;
  try {
    spec = modelSpecFromGguf(file);
  } catch (err) {
    if (!(err instanceof GgufFormatError)) throw err;
  }
  const byTypeMap = new Map<string, { type: string; tensors: number; bytes: number; parameters: number }>();
  let parameters = 0;
  for (const t of file.tensors) {
    parameters += t.elements;
    const e = byTypeMap.get(t.typeName) ?? { type: t.typeName, tensors: 0, bytes: 0, parameters: 0 };
    e.tensors++;
    e.bytes += t.bytes;
    e.parameters += t.elements;
    byTypeMap.set(t.typeName, e);
  }
  const arch = file.metadata[GENERAL.architecture];
  return {
    architecture: typeof arch === 'string' ? arch : null,
    spec,
    metadata,
    tensors: file.tensors.map((t) => ({ name: t.name, type: t.typeName, shape: [...t.shape], offset: t.offset, bytes: t.bytes })),
    parameters,
    fileBytes: file.fileBytes,
    byType: [...byTypeMap.values()].sort((a, b) => b.bytes - a.bytes),
    version: file.version,
    alignment: file.alignment,
    warnings: [...file.warnings],
  };
}

function toJson(v: GgufValue): JsonValue {
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (Array.isArray(v)) return v.map(toJson);
  return v;
}
