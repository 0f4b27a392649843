import { archKey, GENERAL, TOKENIZER } from '../gguf/metadataKeys.js';
import { GGUF_VALUE_TYPE as V, type GgufMetadataEntry } from '../gguf/types.js';
import { writeTestModel, type TestModelInfo, type TestModelOptions, type TestWeightType } from './writeTestModel.js';

/** The catalog models (src/runtime/catalog.ts ids) that have a replica. */
export const CATALOG_REPLICA_IDS = [
  'phi-3-mini-4k-instruct-q4', 'phi-3-mini-4k-instruct-fp16', 'qwen2.5-0.5b-instruct-q4_k_m', 'llama-3.2-1b-instruct-q4_k_m',
] as const;
export type CatalogReplicaId = typeof CATALOG_REPLICA_IDS[number];

/**
 * llama.cpp's Q4_K_M recipe gives some layers more bits (attn_v, ffn_down; Phi-3's attn_qkv is Q5_K throughout):
 * the first and last eighth of the layers and every third one between. With 2 layers that is layer 1.
 */
function moreBits(il: number, n: number): boolean {
  return il < Math.floor(n / 8) || il >= Math.floor((7 * n) / 8) || (il - Math.floor(n / 8)) % 3 === 2;
}

/** llama.cpp's LLAMA_FTYPE_MOSTLY_Q4_K_M: what general.file_type says in the real Q4_K_M files */
const Q4_K_M = 15;
const str = (key: string, value: string): GgufMetadataEntry => ({ key, type: V.STRING, value });
const u32 = (key: string, value: number): GgufMetadataEntry => ({ key, type: V.UINT32, value });
const bool = (key: string, value: boolean): GgufMetadataEntry => ({ key, type: V.BOOL, value });
const id = (tokens: readonly string[], text: string): number => {
  const i = tokens.indexOf(text);
  if (i < 0) throw new RangeError(`writeCatalogReplica: the vocabulary has no '${text}'`);
  return i;
};

const PHI3_TEMPLATE = "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}" +
  "{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}" +
  "{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}";
const CHATML_TEMPLATE = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}" +
  "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";
const LLAMA3_TEMPLATE = "{{- bos_token }}{% for message in messages %}{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + " +
  "message['content'] | trim + '<|eot_id|>' }}{% endfor %}{% if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

/**
 * Llama 3.1/3.2's rope scaling as llama.cpp's converter bakes it into rope_freqs: pairs whose wavelength exceeds
 * original/low tokens rotate `factor` times slower, those under original/high unscaled, a smooth blend between.
 * Llama-3.2-1B: factor 32, low 1, high 4, original context 8192, base 500000.
 */
export function llama3RopeFreqs(headDim: number, base: number, factor: number, low: number, high: number, original: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < headDim; i += 2) {
    const wavelen = (2 * Math.PI) / Math.pow(base, -i / headDim);
    if (wavelen < original / high) out.push(1);
    else if (wavelen > original / low) out.push(factor);
    else {
      const smooth = (original / wavelen - low) / (high - low);
      out.push(1 / ((1 - smooth) / factor + smooth));
    }
  }
  return out;
}

/**
 * Each catalog model scaled down: the same architecture, metadata keys, tensor names, storage type of each tensor
 * (llama.cpp's Q4_K_M recipe, including its fallbacks for rows that are not a multiple of 256), tokenizer kind and
 * pre-tokenizer, special tokens, chat template and rope settings; 2 layers, 64-wide heads, random weights.
 * docs/dev/FORMATS.md lists what each real file has.
 */
function replicaOptions(rid: CatalogReplicaId, nLayer: number): TestModelOptions {
  const perLayer = (f: (il: number) => Record<string, TestWeightType>): Record<string, TestWeightType> =>
    Object.assign({}, ...Array.from({ length: nLayer }, (_, il) => f(il)));
  switch (rid) {
    case 'phi-3-mini-4k-instruct-q4':
    case 'phi-3-mini-4k-instruct-fp16': {
      const q4 = rid === 'phi-3-mini-4k-instruct-q4';
      // real: 3072 wide, 32 layers, 32 heads of 96, FFN 8192, 32064 SPM tokens, context 4096, rope base 10000, NEOX
      return {
        arch: 'phi3', nEmbd: 256, nHead: 4, nHeadKv: 4, nFf: 512, nLayer, contextLength: 4096, ropeBase: 10000, normEps: 1e-5,
        vocab: 'spm', weightType: q4 ? 'Q4_K' : 'F16',
        tensorTypes: q4 ? { 'output.weight': 'Q6_K', ...perLayer((il) => ({
          [`blk.${il}.attn_qkv.weight`]: 'Q5_K', [`blk.${il}.ffn_down.weight`]: moreBits(il, nLayer) ? 'Q6_K' : 'Q4_K' })) } : {},
        metadata: (tokens) => [
          str(GENERAL.name, q4 ? 'Phi3 replica (Q4_K_M)' : 'Phi3 replica (F16)'), u32(GENERAL.fileType, q4 ? Q4_K_M : 1),
          u32(archKey('phi3', 'ropeDimensionCount'), 64),
          u32(TOKENIZER.eosId, id(tokens, '<|endoftext|>')), u32(TOKENIZER.paddingId, id(tokens, '<|endoftext|>')),
          str(TOKENIZER.chatTemplate, PHI3_TEMPLATE),
        ],
      };
    }
    case 'qwen2.5-0.5b-instruct-q4_k_m':
      // real: 896 wide (not a multiple of 256, so Q4_K falls back to Q5_0 and Q6_K to Q8_0), 24 layers, 14 heads of
      // 64 over 2 KV heads, FFN 4864 (19·256: ffn_down stays K-quant), tied output, 151936 BPE tokens, pre 'qwen2',
      // rope base 1e6, rms eps 1e-6, q/k/v biases, NEOX
      return {
        arch: 'qwen2', nEmbd: 448, nHead: 7, nHeadKv: 1, nFf: 512, nLayer, tiedOutput: true, contextLength: 32768,
        ropeBase: 1_000_000, normEps: 1e-6, vocab: 'bpe', weightType: 'Q5_0',
        extraControlTokens: ['<|im_start|>', '<|im_end|>'],
        tensorTypes: { 'token_embd.weight': 'Q8_0', ...perLayer((il) => ({
          [`blk.${il}.attn_v.weight`]: moreBits(il, nLayer) ? 'Q8_0' : 'Q5_0',
          [`blk.${il}.ffn_down.weight`]: moreBits(il, nLayer) ? 'Q6_K' : 'Q4_K' })) },
        metadata: (tokens) => [
          str(GENERAL.name, 'Qwen2.5 replica (Q4_K_M)'), u32(GENERAL.fileType, Q4_K_M), str(TOKENIZER.pre, 'qwen2'),
          u32(TOKENIZER.bosId, id(tokens, '<|endoftext|>')), u32(TOKENIZER.eosId, id(tokens, '<|im_end|>')),
          u32(TOKENIZER.paddingId, id(tokens, '<|endoftext|>')), bool(TOKENIZER.addBos, false),
          str(TOKENIZER.chatTemplate, CHATML_TEMPLATE),
        ],
      };
    case 'llama-3.2-1b-instruct-q4_k_m':
      // real: 2048 wide, 16 layers, 32 heads of 64 over 8 KV heads, FFN 8192, tied output (token_embd Q6_K as the
      // output), 128256 BPE tokens, pre 'llama-bpe', rope base 500000, NORM rope with rope_freqs (factor 32, low 1,
      // high 4, original context 8192). The replica scales the original context down to 32 tokens with the rest, so
      // the factors differ from 1 within a test prompt's positions.
      return {
        arch: 'llama', nEmbd: 256, nHead: 4, nHeadKv: 1, nFf: 512, nLayer, tiedOutput: true, contextLength: 131072,
        ropeBase: 500_000, normEps: 1e-5, vocab: 'bpe', weightType: 'Q4_K',
        ropeFreqs: llama3RopeFreqs(64, 500_000, 32, 1, 4, 32),
        extraControlTokens: ['<|begin_of_text|>', '<|end_of_text|>', '<|start_header_id|>', '<|end_header_id|>', '<|eot_id|>'],
        tensorTypes: { 'token_embd.weight': 'Q6_K', ...perLayer((il) => ({
          [`blk.${il}.attn_v.weight`]: moreBits(il, nLayer) ? 'Q6_K' : 'Q4_K',
          [`blk.${il}.ffn_down.weight`]: moreBits(il, nLayer) ? 'Q6_K' : 'Q4_K' })) },
        metadata: (tokens) => [
          str(GENERAL.name, 'Llama 3.2 replica (Q4_K_M)'), u32(GENERAL.fileType, Q4_K_M), str(TOKENIZER.pre, 'llama-bpe'),
          u32(archKey('llama', 'keyLength'), 64), u32(archKey('llama', 'valueLength'), 64),
          u32(archKey('llama', 'vocabSize'), tokens.length),
          u32(TOKENIZER.bosId, id(tokens, '<|begin_of_text|>')), u32(TOKENIZER.eosId, id(tokens, '<|eot_id|>')),
          bool(TOKENIZER.addBos, true), str(TOKENIZER.chatTemplate, LLAMA3_TEMPLATE),
        ],
      };
  }
}

export interface CatalogReplicaOptions {
  seed?: number;
  nLayer?: number;
  /** storage types to use instead of the replica's for particular tensors (e.g. a type the engine has no kernel for) */
  tensorTypes?: Record<string, TestWeightType>;
  /** more metadata, replacing the replica's entries of the same key (e.g. a rope scaling a test refuses) */
  metadata?: GgufMetadataEntry[];
  /** rope_freqs to write instead of the replica's (only Llama 3.2's has them) */
  ropeFreqs?: number[];
}

/** Write the replica of a catalog model (a few MB) to `path`. */
export async function writeCatalogReplica(path: string, rid: CatalogReplicaId, opts: CatalogReplicaOptions = {}): Promise<TestModelInfo> {
  const o = replicaOptions(rid, opts.nLayer ?? 2);
  const extra = opts.metadata ?? [];
  const keys = new Set(extra.map((m) => m.key));
  return writeTestModel(path, { ...o, seed: opts.seed ?? 1, tensorTypes: { ...o.tensorTypes, ...opts.tensorTypes },
    ropeFreqs: opts.ropeFreqs ?? o.ropeFreqs,
    metadata: (tokens) => [...(o.metadata?.(tokens) ?? []).filter((m) => !keys.has(m.key)), ...extra] });
}

/** The tensor names and types a replica would be written with, to substitute kernel types for one test. */
export function catalogReplicaTypes(rid: CatalogReplicaId, nLayer = 2): { weightType: TestWeightType; tensorTypes: Record<string, TestWeightType> } {
  const o = replicaOptions(rid, nLayer);
  return { weightType: o.weightType ?? 'F32', tensorTypes: { ...o.tensorTypes } };
}
