// Training needs token ids that llama.cpp reproduces from the same text. The engine's SPM tokenizer gives them
// without native code; for the vocabularies it does not cover (byte-level BPE: Qwen2.5, Llama 3.x) the ids come from
// llama.cpp itself, through the runtime.
import { readGguf } from '../../engine/gguf/index.js';
import { TOKENIZER } from '../../engine/gguf/metadataKeys.js';
import { engineTokenizes, SpmTokenizer, tokenizerVocabFromGguf, type TextTokenizer } from '../../engine/tokenizer/index.js';
import type { LlamaRuntime } from './LlamaRuntime.js';

/** A tokenizer that may hold a model in the runtime: dispose it when done. */
export interface TrainingTokenizer extends TextTokenizer {
  /** 'engine': the engine's SPM tokenizer; 'llama.cpp': the model's own, loaded in the runtime */
  readonly source: 'engine' | 'llama.cpp';
  dispose(): Promise<void>;
}

let nextId = 0;

/**
 * llama.cpp's tokenizer for the model at `modelPath`, loaded (on the CPU) into `runtime`; encode runs llama.cpp's
 * tokenizer on the text (parse_special off, as the engine's), with BOS as the model adds it.
 */
export async function llamaCppTokenizer(runtime: LlamaRuntime, modelPath: string, signal?: AbortSignal): Promise<TrainingTokenizer> {
  const modelId = `tokenizer-${process.pid}-${nextId++}`;
  const gguf = await readGguf(modelPath, { signal });
  const md = gguf.metadata;
  const tokens = md[TOKENIZER.tokens] as string[];
  const id = (key: string): number => (typeof md[key] === 'number' ? md[key] : -1);
  await runtime.loadModel({ id: modelId, path: modelPath, gpuLayers: 0 }, signal);
  return {
    source: 'llama.cpp',
    bosId: id(TOKENIZER.bosId),
    eosId: id(TOKENIZER.eosId),
    addsBos: runtime.tokenIds({ modelId, text: '', addBos: true }).length > 0,
    vocabSize: tokens.length,
    tokenText: (t) => tokens[t] ?? '',
    encode: (text, opts = {}) => runtime.tokenIds({ modelId, text, addBos: opts.addBos ?? false }),
    dispose: () => runtime.unloadModel(modelId),
  };
}

/**
 * The tokenizer to train the model at `modelPath` with: the engine's when it covers the vocabulary
 * (ENGINE_TOKENIZER_MODELS), else llama.cpp's through `runtime()` (called only then, so SPM models need no runtime).
 */
export async function trainingTokenizer(modelPath: string, runtime: () => LlamaRuntime | Promise<LlamaRuntime>, signal?: AbortSignal): Promise<TrainingTokenizer> {
  const gguf = await readGguf(modelPath, { signal });
  if (!engineTokenizes(gguf.metadata)) return llamaCppTokenizer(await runtime(), modelPath, signal);
  const spm = new SpmTokenizer(tokenizerVocabFromGguf(gguf.metadata));
  return {
    source: 'engine', bosId: spm.bosId, eosId: spm.eosId, addsBos: spm.addsBos, vocabSize: spm.vocabSize,
    tokenText: (t) => spm.tokenText(t), encode: (text, opts) => spm.encode(text, opts), dispose: async () => {},
  };
}
