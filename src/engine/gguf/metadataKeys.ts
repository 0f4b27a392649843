/**
 * The GGUF metadata keys Model Lab reads and writes, in one place (docs/dev/FORMATS.md). Code spells a key through
 * these tables, never as a string literal, so a key has one spelling and a grep finds every reader and writer.
 */

/** `general.*`: what the file is. */
export const GENERAL = {
  architecture: 'general.architecture',
  /** 'model' (absent) or 'adapter' */
  type: 'general.type',
  name: 'general.name',
  /** llama.cpp's LLAMA_FTYPE_* of the bulk of the weights */
  fileType: 'general.file_type',
  alignment: 'general.alignment',
  license: 'general.license',
  sourceUrl: 'general.source.url',
} as const;

/** `general.type` of a LoRA adapter file. */
export const ADAPTER_FILE_TYPE = 'adapter';

/** `adapter.*`: llama.cpp's LoRA adapter keys. */
export const ADAPTER = {
  /** 'lora' */
  type: 'adapter.type',
  loraAlpha: 'adapter.lora.alpha',
} as const;

/** `tokenizer.*`: the vocabulary llama.cpp builds its tokenizer from. */
export const TOKENIZER = {
  /** 'llama' (SPM), 'gpt2' (byte-level BPE), … */
  model: 'tokenizer.ggml.model',
  /** BPE pre-tokenizer name (e.g. 'qwen2', 'llama-bpe'); 'default' when absent */
  pre: 'tokenizer.ggml.pre',
  tokens: 'tokenizer.ggml.tokens',
  scores: 'tokenizer.ggml.scores',
  tokenType: 'tokenizer.ggml.token_type',
  merges: 'tokenizer.ggml.merges',
  bosId: 'tokenizer.ggml.bos_token_id',
  eosId: 'tokenizer.ggml.eos_token_id',
  unknownId: 'tokenizer.ggml.unknown_token_id',
  paddingId: 'tokenizer.ggml.padding_token_id',
  addBos: 'tokenizer.ggml.add_bos_token',
  addEos: 'tokenizer.ggml.add_eos_token',
  addSpacePrefix: 'tokenizer.ggml.add_space_prefix',
  chatTemplate: 'tokenizer.chat_template',
} as const;

/** llama.cpp's `llama_token_type` values as stored in `tokenizer.ggml.token_type`. */
export const TOKEN_TYPE = {
  NORMAL: 1,
  UNKNOWN: 2,
  CONTROL: 3,
  USER_DEFINED: 4,
  UNUSED: 5,
  BYTE: 6,
} as const;

/** `<arch>.*` hyperparameters, without the architecture prefix: spell them with archKey(arch, name). */
export const ARCH_KEYS = {
  contextLength: 'context_length',
  embeddingLength: 'embedding_length',
  blockCount: 'block_count',
  /** one number, or (deci) an array with one width per layer */
  feedForwardLength: 'feed_forward_length',
  headCount: 'attention.head_count',
  headCountKv: 'attention.head_count_kv',
  keyLength: 'attention.key_length',
  valueLength: 'attention.value_length',
  rmsEps: 'attention.layer_norm_rms_epsilon',
  normEps: 'attention.layer_norm_epsilon',
  ropeDimensionCount: 'rope.dimension_count',
  ropeFreqBase: 'rope.freq_base',
  /** 'none', 'linear', 'yarn', 'longrope', …; absent means none */
  ropeScalingType: 'rope.scaling.type',
  ropeScalingFactor: 'rope.scaling.factor',
  /** attention window of sliding-window layers (newer Phi-3 conversions write it) */
  slidingWindow: 'attention.sliding_window',
  vocabSize: 'vocab_size',
  expertCount: 'expert_count',
  expertUsedCount: 'expert_used_count',
} as const;

export type ArchKeyName = keyof typeof ARCH_KEYS;

/** The full key of an architecture hyperparameter: archKey('llama', 'blockCount') → 'llama.block_count'. */
export function archKey(arch: string, name: ArchKeyName): string {
  return `${arch}.${ARCH_KEYS[name]}`;
}

/**
 * Our own provenance keys (`model_lab.*`), written into the models and adapters Model Lab makes so a file names its
 * parent and how it was made even when it travels without its variant manifest. llama.cpp ignores unknown keys.
 */
export const MODEL_LAB = {
  /** sha256 (hex) of the parent model file */
  parentSha256: 'model_lab.parent.sha256',
  /** how the file was made: 'prune', 'lora', 'merge', … */
  method: 'model_lab.method',
  /** JSON of the method's parameters */
  parameters: 'model_lab.parameters',
  toolVersion: 'model_lab.tool_version',
  /** f32: the LoRA dropout an adapter was trained with (PEFT's lora_dropout; absent = 0), kept for PEFT export */
  loraDropout: 'model_lab.lora.dropout',
} as const;
