import { hyperparameterEntries } from '../gguf/hyperparameterEntries.js';
import { GENERAL, TOKEN_TYPE, TOKENIZER } from '../gguf/metadataKeys.js';
import { archLayout, globalTensors, layerTensors, LAYOUT_ARCHS, ROPE_FREQS_TENSOR, type LayoutArch, type LayoutDims } from '../gguf/tensorLayout.js';
import { writeGguf, type GgufTensorToWrite } from '../gguf/writeGguf.js';
import { GGUF_VALUE_TYPE as V, type GgufMetadataEntry } from '../gguf/types.js';
import { Rng } from '../model/random.js';
import { ggmlTypeByName, ggmlTypeTraits } from '../quant/ggmlTypes.js';
import { QUANTIZABLE_TYPES, quantize } from '../quant/quantize.js';
import { bpeVocab } from './bpeVocab.js';
import { randomQuantBlocks } from './randomQuantBlocks.js';
import { spmVocab } from './spmVocab.js';

export type TestModelArch = LayoutArch;
export type TestWeightType = 'F32' | 'F16' | 'BF16' | 'Q8_0' | 'Q4_0' | 'Q4_1' | 'Q5_0' | 'Q5_1' | 'Q2_K' | 'Q3_K' | 'Q4_K' | 'Q5_K' | 'Q6_K';

/** llama.cpp's general.file_type (LLAMA_FTYPE_*) for a model whose matrices are all in one type */
const FILE_TYPES: Record<TestWeightType, number> = {
  F32: 0, F16: 1, Q4_0: 2, Q4_1: 3, Q8_0: 7, Q5_0: 8, Q5_1: 9, Q2_K: 10, Q3_K: 12, Q4_K: 15, Q5_K: 17, Q6_K: 18, BF16: 32,
};

export interface TestModelOptions {
  arch: TestModelArch;
  nEmbd?: number;
  nLayer?: number;
  nHead?: number;
  nHeadKv?: number;
  /** FFN width; deci: one width per layer (0 = a layer without FFN), written as an array */
  nFf?: number | number[];
  contextLength?: number;
  tiedOutput?: boolean;
  /** storage type of the 2-D weight matrices (norms and biases stay F32) */
  weightType?: TestWeightType;
  /** storage types of particular tensors, by name (e.g. {'output.weight': 'Q6_K'}); wins over weightType */
  tensorTypes?: Record<string, TestWeightType>;
  seed?: number;
  ropeBase?: number;
  normEps?: number;
  /** 'spm' (default): SentencePiece-style "llama" vocabulary; 'bpe': byte-level "gpt2" vocabulary with merges */
  vocab?: 'spm' | 'bpe';
  /** control tokens appended to the vocabulary (e.g. Llama 3's <|eot_id|>, Qwen's <|im_start|>) */
  extraControlTokens?: string[];
  /**
   * more metadata (a replica's pre-tokenizer, special token ids, chat template, …), given the final token list;
   * replaces written entries of the same key
   */
  metadata?: (tokens: readonly string[]) => GgufMetadataEntry[];
  /** rope_freqs.weight, one factor per rotary pair (how Llama 3.1/3.2 files store their rope scaling) */
  ropeFreqs?: number[];
}

/** What writeTestModel wrote: the resolved sizes and the F32 values each tensor was made from (before storage). */
export interface TestModelInfo {
  arch: TestModelArch;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nHeadKv: number;
  nFf: number | number[];
  nVocab: number;
  contextLength: number;
  tiedOutput: boolean;
  ropeBase: number;
  normEps: number;
  tokens: string[];
}

/**
 * Writes a small random transformer in one of the layouts of tensorLayout.ts (llama, phi3 with fused attn_qkv /
 * gate|up, qwen2 with q/k/v biases, deci with a FFN width per layer) with an SPM vocabulary that llama.cpp loads, tokenizes and generates with. Deterministic for a seed.
 * Weights are N(0, 1/fan_in) (embeddings and output larger) so that the next-token distribution is far from flat.
 * K-quant weight types need nEmbd and nFf to be multiples of 256 (the defaults become 256); other block types 32.
 * Types quantize() cannot write (Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q5_K) get random blocks of the same scale.
 */
export async function writeTestModel(path: string, opts: TestModelOptions): Promise<TestModelInfo> {
  const { arch } = opts;
  const layout = archLayout(arch);
  if (!layout) throw new RangeError(`writeTestModel: arch must be one of ${LAYOUT_ARCHS.join(', ')}, not '${String(arch)}'`);
  const weightType = opts.weightType ?? 'F32';
  const block = ggmlTypeTraits(ggmlTypeByName(weightType))?.blockSize ?? 1;
  const nEmbd = opts.nEmbd ?? Math.max(64, block);
  const nHead = opts.nHead ?? 4;
  const nHeadKv = opts.nHeadKv ?? Math.max(1, nHead / 2);
  const nFf = opts.nFf ?? Math.max(block >= 256 ? nEmbd : 2 * nEmbd, block);
  const nLayer = opts.nLayer ?? (Array.isArray(nFf) ? nFf.length : 2);
  const ffn = Array.isArray(nFf) ? [...nFf] : new Array<number>(nLayer).fill(nFf);
  if (ffn.length !== nLayer) throw new RangeError(`writeTestModel: ${ffn.length} FFN widths for ${nLayer} layers`);
  if (!layout.perLayerFfn && ffn.some((f) => f !== ffn[0])) throw new RangeError(`writeTestModel: ${arch} has one FFN width for every layer`);
  const contextLength = opts.contextLength ?? 256;
  const tiedOutput = opts.tiedOutput ?? false;
  const ropeBase = opts.ropeBase ?? 10000;
  const normEps = opts.normEps ?? 1e-5;
  if (nEmbd % nHead !== 0 || nHead % nHeadKv !== 0) throw new RangeError(`writeTestModel: nEmbd ${nEmbd}, nHead ${nHead}, nHeadKv ${nHeadKv} do not divide`);
  const headDim = nEmbd / nHead;
  if (headDim % 2 !== 0) throw new RangeError('writeTestModel: the head dimension must be even (rope)');
  const bpe = opts.vocab === 'bpe' ? bpeVocab() : undefined;
  const vocab = bpe ?? spmVocab();
  for (const t of opts.extraControlTokens ?? []) {
    vocab.tokens.push(t);
    vocab.types.push(TOKEN_TYPE.CONTROL);
    if (!bpe) (vocab as ReturnType<typeof spmVocab>).scores.push(0);
  }
  const nVocab = vocab.tokens.length;
  const rng = new Rng(opts.seed ?? 1);

  const metadata: GgufMetadataEntry[] = [];
  const kv = (key: string, type: GgufMetadataEntry['type'], value: GgufMetadataEntry['value'], elementType?: GgufMetadataEntry['elementType']): void => {
    metadata.push({ key, type, value, elementType });
  };
  metadata.push(...hyperparameterEntries({ architecture: arch, contextLength, nEmbd, nLayer, nFf, nHead, nHeadKv,
    ropeDims: headDim, ropeBase, normEps, nVocab }));
  kv(GENERAL.name, V.STRING, `model-lab test ${arch}`);
  kv(GENERAL.fileType, V.UINT32, FILE_TYPES[weightType]);
  if (bpe) {
    kv(TOKENIZER.model, V.STRING, 'gpt2');
    kv(TOKENIZER.pre, V.STRING, 'gpt-2');
    kv(TOKENIZER.tokens, V.ARRAY, bpe.tokens, V.STRING);
    kv(TOKENIZER.tokenType, V.ARRAY, bpe.types, V.INT32);
    kv(TOKENIZER.merges, V.ARRAY, bpe.merges, V.STRING);
    kv(TOKENIZER.bosId, V.UINT32, bpe.bosId);
    kv(TOKENIZER.eosId, V.UINT32, bpe.eosId);
  } else {
    const spm = vocab as ReturnType<typeof spmVocab>;
    kv(TOKENIZER.model, V.STRING, 'llama');
    kv(TOKENIZER.tokens, V.ARRAY, spm.tokens, V.STRING);
    kv(TOKENIZER.scores, V.ARRAY, spm.scores, V.FLOAT32);
    kv(TOKENIZER.tokenType, V.ARRAY, spm.types, V.INT32);
    kv(TOKENIZER.unknownId, V.UINT32, 0);
    kv(TOKENIZER.bosId, V.UINT32, 1);
    kv(TOKENIZER.eosId, V.UINT32, 2);
  }
  kv(TOKENIZER.addBos, V.BOOL, true);
  kv(TOKENIZER.addEos, V.BOOL, false);
  if (opts.metadata) {
    const extra = opts.metadata(vocab.tokens);
    const keys = new Set(extra.map((m) => m.key));
    metadata.splice(0, metadata.length, ...metadata.filter((m) => !keys.has(m.key)), ...extra);
  }

  const tensors: GgufTensorToWrite[] = [];
  const typeOf = (name: string): TestWeightType => opts.tensorTypes?.[name] ?? weightType;
  // a 2-D weight, ne = [cols (in), rows (out)], values N(0, std²); types we cannot quantize to get random blocks
  const matrix = (name: string, cols: number, rows: number, std: number): void => {
    const t = ggmlTypeByName(typeOf(name));
    const blockSize = ggmlTypeTraits(t)?.blockSize ?? 1;
    if (cols % blockSize !== 0) throw new RangeError(`writeTestModel: ${name} has rows of ${cols}, not a multiple of the ${typeOf(name)} block size ${blockSize}`);
    const data = QUANTIZABLE_TYPES.includes(t) ? quantize(t, rng.normals(cols * rows, std)) : randomQuantBlocks(t, cols * rows, std, rng);
    tensors.push({ name, type: t, shape: [cols, rows], data });
  };
  // 1-D F32: norm weights around 1, biases around 0
  const vector = (name: string, n: number, mean: number, std: number): void => {
    tensors.push({ name, type: 0, shape: [n], data: quantize(0, rng.normals(n, std, mean)) });
  };
  const inStd = (fanIn: number): number => 1 / Math.sqrt(fanIn);

  // logits = h · W with |h| ≈ √nEmbd: std 2.5/√nEmbd gives logits of std ≈ 2.5, a peaked but not one-hot softmax
  // (the same for token_embd, which is the output matrix when tied)
  const outStd = 2.5 / Math.sqrt(nEmbd);
  const dims: LayoutDims = { nEmbd, nVocab, nHead, nHeadKv, headDim, ffn, tiedOutput };
  for (const t of [...globalTensors(dims), ...ffn.flatMap((_, il) => layerTensors(layout, dims, il))]) {
    if (t.kind === 'norm') vector(`${t.base}.weight`, t.cols, 1, 0.1);
    else matrix(`${t.base}.weight`, t.cols, t.rows, t.layer < 0 ? outStd : inStd(t.cols));
    if (t.bias) vector(`${t.base}.bias`, t.rows, 0, 0.1);
  }
  if (opts.ropeFreqs) {
    if (opts.ropeFreqs.length !== headDim / 2) throw new RangeError(`writeTestModel: ${opts.ropeFreqs.length} rope_freqs for ${headDim / 2} rotary pairs`);
    tensors.push({ name: ROPE_FREQS_TENSOR, type: 0, shape: [headDim / 2], data: quantize(0, Float32Array.from(opts.ropeFreqs)) });
  }
  await writeGguf(path, { metadata, tensors });
  return { arch, nEmbd, nLayer, nHead, nHeadKv, nFf, nVocab, contextLength, tiedOutput, ropeBase, normEps, tokens: vocab.tokens };
}
