import path from 'node:path';
import type { GgufFile, GgufValue } from '../../engine/gguf/types.js';
import type { InspectModel, InspectSpec, QuantMixEntry } from '../../protocol/webviewInspect.js';
import type { MemoryModelShape } from './estimateMemory.js';
import { archKey, GENERAL, TOKENIZER, type ArchKeyName } from '../../engine/gguf/metadataKeys.js';

const MAX_SHOWN_ARRAY = 16;
const MAX_SHOWN_STRING = 2000;

function display(v: GgufValue): string {
  if (Array.isArray(v)) {
    if (v.length > MAX_SHOWN_ARRAY) return `[${v.length} items]`;
    return `[${v.map(display).join(', ')}]`;
  }
  if (typeof v === 'string') return v.length > MAX_SHOWN_STRING ? `${v.slice(0, MAX_SHOWN_STRING)}… (${v.length} characters)` : v;
  return String(v);
}

const num = (v: GgufValue | undefined): number | null => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null);
const str = (v: GgufValue | undefined): string | null => (typeof v === 'string' ? v : null);

/** The layer a tensor belongs to ('blk.<n>.…'), or null. */
export function tensorLayer(name: string): number | null {
  const m = /^blk\.(\d+)\./.exec(name);
  return m ? Number(m[1]) : null;
}

/**
 * Everything the Inspect panel shows, from a parsed header (and the model spec when the architecture is one we
 * understand). Pure: the caller reads the file.
 */
export function buildInspectModel(file: GgufFile, filePath: string, spec: InspectSpec | null, specError: string | null): InspectModel {
  const md = file.metadata;
  const mix = new Map<string, { tensors: number; bytes: number }>();
  let totalBytes = 0;
  let parameters = 0;
  for (const t of file.tensors) {
    const e = mix.get(t.typeName) ?? { tensors: 0, bytes: 0 };
    e.tensors++;
    e.bytes += t.bytes;
    mix.set(t.typeName, e);
    totalBytes += t.bytes;
    parameters += t.elements;
  }
  const quantMix: QuantMixEntry[] = [...mix.entries()]
    .map(([type, e]) => ({ type, tensors: e.tensors, bytes: e.bytes, fraction: totalBytes > 0 ? e.bytes / totalBytes : 0 }))
    .sort((a, b) => b.bytes - a.bytes || (a.type < b.type ? -1 : 1));

  const tokens = md[TOKENIZER.tokens];
  const architecture = str(md[GENERAL.architecture]) ?? spec?.architecture ?? 'unknown';
  return {
    fileName: path.basename(filePath),
    filePath,
    fileBytes: file.fileBytes,
    version: file.version,
    name: str(md[GENERAL.name]),
    architecture,
    spec,
    specError,
    parameters,
    tokenizer: {
      model: str(md[TOKENIZER.model]),
      tokens: Array.isArray(tokens) ? tokens.length : null,
      bos: num(md[TOKENIZER.bosId]),
      eos: num(md[TOKENIZER.eosId]),
    },
    chatTemplate: str(md[TOKENIZER.chatTemplate]),
    quantMix,
    tensors: file.tensors.map((t) => ({
      name: t.name,
      type: t.typeName,
      shape: [...t.shape],
      elements: t.elements,
      bytes: t.bytes,
      offset: t.offset,
      layer: tensorLayer(t.name),
    })),
    metadata: Object.keys(md)
      .sort()
      .filter((k) => k !== TOKENIZER.chatTemplate)
      .map((key) => ({ key, value: display(md[key]) })),
    warnings: [...file.warnings],
  };
}

/**
 * Shape for the memory estimate. Uses the spec, else the `<arch>.*` keys directly, so an architecture we do not
 * model still gets an estimate; KV is 0 when the head counts are unknown.
 */
export function memoryShapeOf(model: InspectModel, file: GgufFile): MemoryModelShape {
  const tensors = model.tensors.map((t) => ({ name: t.name, bytes: t.bytes }));
  if (model.spec) return { tensors, nLayer: model.spec.nLayer, nHeadKv: model.spec.nHeadKv, headDim: model.spec.headDim };
  const a = model.architecture;
  const md = file.metadata;
  const n = (k: ArchKeyName) => num(md[archKey(a, k)]);
  const blocks = new Set(model.tensors.map((t) => t.layer).filter((l): l is number => l !== null));
  const nLayer = n('blockCount') ?? blocks.size;
  const nHead = n('headCount');
  const nHeadKv = n('headCountKv') ?? nHead ?? 0;
  const nEmbd = n('embeddingLength');
  const headDim = n('keyLength') ?? (nEmbd !== null && nHead ? nEmbd / nHead : 0);
  return { tensors, nLayer, nHeadKv, headDim };
}
