import { GgufFormatError } from './GgufFormatError.js';
import type { GgufFile, GgufValue } from './types.js';

/** The shape of a transformer model as llama.cpp will build it, read from GGUF metadata. */
export interface ModelSpec {
  architecture: string;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nHeadKv: number;
  /** FFN width; an array when the file stores one per layer */
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

/** Architectures whose rotary embedding rotates pairs (i, i + d/2) (NEOX) rather than (2i, 2i+1) (NORM). */
const NEOX_ARCHS = new Set([
  'phi2', 'phi3', 'phimoe', 'qwen', 'qwen2', 'qwen2moe', 'qwen2vl', 'qwen3', 'qwen3moe', 'gemma', 'gemma2', 'gemma3',
  'stablelm', 'gptneox', 'falcon', 'starcoder2', 'olmo2', 'openelm', 'nemotron', 'exaone', 'bitnet', 'codeshell',
  'dbrx', 'plamo', 'minicpm3', 'orion', 'deepseek2',
]);

/**
 * Reads the model spec from a parsed GGUF file. Throws GgufFormatError (GGUF_NOT_A_MODEL) when the file has no
 * architecture or lacks the sizes every transformer needs (e.g. a LoRA adapter or a vocabulary-only file).
 */
export function modelSpecFromGguf(file: GgufFile): ModelSpec {
  const md = file.metadata;
  const arch = md['general.architecture'];
  if (typeof arch !== 'string') throw new GgufFormatError('GGUF_NOT_A_MODEL', 0, 'the file has no general.architecture: not a model');
  if (md['general.type'] === 'adapter') throw new GgufFormatError('GGUF_NOT_A_MODEL', 0, 'the file is an adapter, not a model');
  const num = (key: string, fallback?: number): number => {
    const v = firstNumber(md[`${arch}.${key}`]);
    if (v !== undefined) return v;
    if (fallback !== undefined) return fallback;
    throw new GgufFormatError('GGUF_NOT_A_MODEL', 0, `${arch}.${key} is missing: not a complete ${arch} model`);
  };
  const nEmbd = num('embedding_length');
  const nLayer = num('block_count');
  const nHead = num('attention.head_count');
  const nHeadKv = num('attention.head_count_kv', nHead);
  const ffRaw = md[`${arch}.feed_forward_length`];
  const nFf = Array.isArray(ffRaw) ? ffRaw.map((v) => Number(v)) : num('feed_forward_length', 0);
  const headDim = num('attention.key_length', nHead > 0 ? Math.floor(nEmbd / nHead) : 0);
  const tokens = md['tokenizer.ggml.tokens'];
  const embd = file.tensors.find((t) => t.name === 'token_embd.weight');
  const nVocab = num('vocab_size', Array.isArray(tokens) ? tokens.length : (embd?.shape[1] ?? 0));
  const eps = firstNumber(md[`${arch}.attention.layer_norm_rms_epsilon`]) ?? firstNumber(md[`${arch}.attention.layer_norm_epsilon`]) ?? 1e-5;
  const spec: ModelSpec = {
    architecture: arch,
    nEmbd,
    nLayer,
    nHead,
    nHeadKv,
    nFf,
    nVocab,
    contextLength: num('context_length', 0),
    ropeType: NEOX_ARCHS.has(arch) ? 'neox' : 'norm',
    ropeBase: num('rope.freq_base', 10000),
    ropeDims: num('rope.dimension_count', headDim),
    normEps: eps,
    tiedOutput: embd !== undefined && !file.tensors.some((t) => t.name === 'output.weight'),
    headDim,
  };
  const tmpl = md['tokenizer.chat_template'];
  if (typeof tmpl === 'string') spec.chatTemplate = tmpl;
  const tok = md['tokenizer.ggml.model'];
  if (typeof tok === 'string') spec.tokenizerModel = tok;
  return spec;
}

function firstNumber(v: GgufValue | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v) && v.length > 0) return firstNumber(v[0]);
  return undefined;
}
