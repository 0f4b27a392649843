// Training needs token ids that llama.cpp reproduces from the same text. The engine's SPM tokenizer gives them
// without native code; for the vocabularies it does not cover (byte-level BPE: Qwen2.5, Llama 3.x) the ids come from
// llama.cpp itself, with the model loaded vocabulary-only (node-llama-cpp's vocabOnly: the weights are not loaded).
// This is the one tokenizer path of the CLI and of the job process alike: neither needs the runtime process for it,
// and the job process loads node-llama-cpp only when a model's vocabulary asks for it.
import type { LlamaModel } from 'node-llama-cpp';
import { readGguf } from '../../engine/gguf/index.js';
import { TOKENIZER } from '../../engine/gguf/metadataKeys.js';
import { engineTokenizes, SpmTokenizer, tokenizerVocabFromGguf, type TextTokenizer } from '../../engine/tokenizer/index.js';
import { LlamaError } from '../errors.js';
import { firstLine, initLlama, type InitializedLlama } from './initLlama.js';
import { validateModelFile } from './validateModelFile.js';

/** A tokenizer that may hold llama.cpp's vocabulary: dispose it when done. */
export interface TrainingTokenizer extends TextTokenizer {
  /** 'engine': the engine's SPM tokenizer; 'llama.cpp': the model's own, loaded vocabulary-only */
  readonly source: 'engine' | 'llama.cpp';
  dispose(): Promise<void>;
}

// One CPU llama.cpp per process for the tokenizers that are open, released with the last of them (a CLI command or
// a job must not keep native state alive after its work).
let shared: Promise<InitializedLlama> | undefined;
let open = 0;

async function acquireLlama(): Promise<InitializedLlama> {
  open++;
  shared ??= initLlama('off');
  try {
    return await shared;
  } catch (err) {
    open--;
    shared = undefined;
    throw err;
  }
}

async function releaseLlama(): Promise<void> {
  if (--open > 0 || !shared) return;
  const s = shared;
  shared = undefined;
  await (await s).llama.dispose();
}

/**
 * llama.cpp's tokenizer for the model at `modelPath` (checked by our GGUF reader first), loaded vocabulary-only on
 * the CPU; encode runs llama.cpp's tokenizer on the text (special-token texts parsed only with parseSpecial, as the
 * engine's), with BOS as the model adds it.
 */
export async function llamaCppTokenizer(modelPath: string, signal?: AbortSignal): Promise<TrainingTokenizer> {
  const gguf = await validateModelFile(modelPath, signal);
  const md = gguf.metadata;
  const tokens = md[TOKENIZER.tokens] as string[];
  const id = (key: string): number => (typeof md[key] === 'number' ? md[key] : -1);
  const { llama } = await acquireLlama();
  let model: LlamaModel;
  try {
    model = await llama.loadModel({ modelPath, vocabOnly: true, gpuLayers: 0, loadSignal: signal });
  } catch (err) {
    await releaseLlama();
    if (signal?.aborted) throw err;
    throw new LlamaError(`llama.cpp could not read the vocabulary of ${modelPath}: ${firstLine(err)}`, 'MODEL_LOAD_FAILED');
  }
  const bos = model.tokens.shouldPrependBosToken && model.tokens.bos != null ? Number(model.tokens.bos) : undefined;
  let disposed = false;
  return {
    source: 'llama.cpp',
    bosId: id(TOKENIZER.bosId),
    eosId: id(TOKENIZER.eosId),
    addsBos: bos !== undefined,
    vocabSize: tokens.length,
    tokenText: (t) => tokens[t] ?? '',
    encode: (text, opts = {}) => {
      const ids = model.tokenize(text, opts.parseSpecial ?? false).map(Number);
      if (opts.addBos && bos !== undefined) ids.unshift(bos);
      return ids;
    },
    dispose: async () => {
      if (disposed) return;
      disposed = true;
      await model.dispose();
      await releaseLlama();
    },
  };
}

/**
 * The tokenizer to train the model at `modelPath` with: the engine's when it covers the vocabulary
 * (ENGINE_TOKENIZER_MODELS; no native code), else llama.cpp's, loaded vocabulary-only.
 */
export async function trainingTokenizer(modelPath: string, signal?: AbortSignal): Promise<TrainingTokenizer> {
  const gguf = await readGguf(modelPath, { signal });
  if (!engineTokenizes(gguf.metadata)) return llamaCppTokenizer(modelPath, signal);
  const spm = new SpmTokenizer(tokenizerVocabFromGguf(gguf.metadata));
  return {
    source: 'engine', bosId: spm.bosId, eosId: spm.eosId, addsBos: spm.addsBos, vocabSize: spm.vocabSize,
    tokenText: (t) => spm.tokenText(t), encode: (text, opts) => spm.encode(text, opts), dispose: async () => {},
  };
}
