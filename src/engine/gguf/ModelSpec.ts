import { GgufFormatError } from './GgufFormatError.js';
import { ADAPTER_FILE_TYPE, archKey, GENERAL, TOKENIZER, type ArchKeyName } from './metadataKeys.js';
import { archLayout } from './tensorLayout.js';
import type { GgufFile, GgufValue } from './types.js';

/** The shape of a transformer model as llama.cpp will build it, read from GGUF metadata. */
export interface ModelSpec {
  architecture: string;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nHeadKv: number;
  /** FFN width; an array when the file stores one per layer (deci; 0 = a layer without FFN) */
  nFf: number | number[];
  nVocab: number;
  contextLength: number;
  ropeType: 'norm' | 'neox';
  ropeBase: number;
  ropeDims: number;
  normEps: number;
  /** no separate output.weight: the output projection reuses token_embd */
  tiedOutput: boolean;
  chatTemplate?: string;
  tokenizerModel?: string;
  headDim: number;
}

/**
 * Architectures beyond the layout table (tensorLayout.ts, which has its own rope type) whose rotary embedding rotates
 * pairs (i, i + d/2) (NEOX) rather than (2i, 2i+1) (NORM).
 */
const NEOX_ARCHS = new Set([
  'phi2', 'phimoe', 'qwen', 'qwen2moe', 'qwen2vl', 'qwen3', 'qwen3moe', 'gemma', 'gemma2', 'gemma3',
  'stablelm', 'gptneox', 'falcon', 'starcoder2', 'olmo2', 'openelm', 'nemotron', 'exaone', 'bitnet', 'codeshell',
  'dbrx', 'plamo', 'minicpm3', 'orion', 'deepseek2',
]);

/**
 * Reads the model spec from a parsed GGUF file. Throws GgufFormatError (GGUF_NOT_A_MODEL) when the file has no
 * architecture or lacks the sizes every transformer needs (e.g. a LoRA adapter or a vocabulary-only file).
 */
export function modelSpecFromGguf(file: GgufFile): ModelSpec {
  const md = file.metadata;
  const arch = md[GENERAL.architecture];
  if (typeof arch !== 'string') throw new GgufFormatError('GGUF_NOT_A_MODEL', 0, 'the file has no general.architecture: not a model');
  if (md[GENERAL.type] === ADAPTER_FILE_TYPE) throw new GgufFormatError('GGUF_NOT_A_MODEL', 0, 'the file is an adapter, not a model');
  const num = (key: ArchKeyName, fallback?: number): number => {
    const v = firstNumber(md[archKey(arch, key)]);
    if (v !== undefined) return v;
    if (fallback !== undefined) return fallback;
    throw new GgufFormatError('GGUF_NOT_A_MODEL', 0, `${archKey(arch, key)} is missing: not a complete ${arch} model`);
  };
  const nEmbd = num('embeddingLength');
  const nLayer = num('blockCount');
  const nHead = num('headCount');
  const nHeadKv = num('headCountKv', nHead);
  const ffRaw = md[archKey(arch, 'feedForwardLength')];
  const nFf = Array.isArray(ffRaw) ? ffRaw.map((v) => Number(v)) : num('feedForwardLength', 0);
  const headDim = num('keyLength', nHead > 0 ? Math.floor(nEmbd / nHead) : 0);
  const tokens = md[TOKENIZER.tokens];
  const embd = file.tensors.find((t) => t.name === 'token_embd.weight');
  const nVocab = num('vocabSize', Array.isArray(tokens) ? tokens.length : (embd?.shape[1] ?? 0));
  const eps = firstNumber(md[archKey(arch, 'rmsEps')]) ?? firstNumber(md[archKey(arch, 'normEps')]) ?? 1e-5;
  const spec: ModelSpec = {
    architecture: arch,
    nEmbd,
    nLayer,
    nHead,
    nHeadKv,
    nFf,
    nVocab,
    contextLength: num('contextLength', 0),
    ropeType: archLayout(arch)?.ropeType ?? (NEOX_ARCHS.has(arch) ? 'neox' : 'norm'),
    ropeBase: num('ropeFreqBase', 10000),
    ropeDims: num('ropeDimensionCount', headDim),
    normEps: eps,
    tiedOutput: embd !== undefined && !file.tensors.some((t) => t.name === 'output.weight'),
    headDim,
  };
  const tmpl = md[TOKENIZER.chatTemplate];
  if (typeof tmpl === 'string') spec.chatTemplate = tmpl;
  const tok = md[TOKENIZER.model];
  if (typeof tok === 'string') spec.tokenizerModel = tok;
  return spec;
}

function firstNumber(v: GgufValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v) && v.length > 0) return firstNumber(v[0]);
  return undefined;
}
