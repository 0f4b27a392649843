import { archKey, GENERAL } from './metadataKeys.js';
import type { ModelSpec } from './ModelSpec.js';
import { GGUF_VALUE_TYPE as T, type GgufMetadataEntry } from './types.js';

/** The spec fields a model file's hyperparameter keys carry. */
export type HyperparameterSpec = Pick<ModelSpec,
  'architecture' | 'contextLength' | 'nEmbd' | 'nLayer' | 'nFf' | 'nHead' | 'nHeadKv' | 'ropeDims' | 'ropeBase' | 'normEps' | 'nVocab'>;

/**
 * general.architecture and the `<arch>.*` hyperparameters llama.cpp builds the model from, as writer entries.
 * A per-layer FFN width (deci) is written as an INT32 array with one entry per layer, which llama.cpp reads.
 */
export function hyperparameterEntries(s: HyperparameterSpec): GgufMetadataEntry[] {
  const a = s.architecture;
  const u32 = (key: string, value: number): GgufMetadataEntry => ({ key, type: T.UINT32, value });
  const f32 = (key: string, value: number): GgufMetadataEntry => ({ key, type: T.FLOAT32, value });
  const ff: GgufMetadataEntry = Array.isArray(s.nFf)
    ? { key: archKey(a, 'feedForwardLength'), type: T.ARRAY, elementType: T.INT32, value: [...s.nFf] }
    : u32(archKey(a, 'feedForwardLength'), s.nFf);
  return [
    { key: GENERAL.architecture, type: T.STRING, value: a },
    u32(archKey(a, 'contextLength'), s.contextLength),
    u32(archKey(a, 'embeddingLength'), s.nEmbd),
    u32(archKey(a, 'blockCount'), s.nLayer),
    ff,
    u32(archKey(a, 'headCount'), s.nHead),
    u32(archKey(a, 'headCountKv'), s.nHeadKv),
    u32(archKey(a, 'ropeDimensionCount'), s.ropeDims),
    f32(archKey(a, 'ropeFreqBase'), s.ropeBase),
    f32(archKey(a, 'rmsEps'), s.normEps),
    u32(archKey(a, 'vocabSize'), s.nVocab),
  ];
}
