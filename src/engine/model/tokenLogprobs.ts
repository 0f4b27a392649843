import { throwIfAborted } from '../errors.js';
import { createReferenceBackend, createWasmBackend, type KernelBackend } from '../kernels/index.js';
import { loadEngineModel } from './loadEngineModel.js';
import { batchLogprobs, makeBatch } from './modelForward.js';
import { EngineModelError } from './EngineModelError.js';

export interface TokenLogprobsOptions {
  /** Kernel threads (default: all cores). */
  threads?: number;
  /** 'wasm' (default, the fast SIMD kernels) or 'reference' (plain TypeScript, slow, for cross-checks). */
  kernels?: 'wasm' | 'reference';
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

/**
 * Natural-log p(tokens[i] | tokens[<i]) for i = 1…n−1 (length n−1), computed by the lab engine on the model at
 * `modelPath` (CONTRACTS.md). Loads the model for this call and frees it afterwards.
 */
export async function tokenLogprobs(modelPath: string, tokens: number[], opts: TokenLogprobsOptions = {}): Promise<number[]> {
  throwIfAborted(opts.signal);
  if (tokens.length < 2) return [];
  const backend: KernelBackend = opts.kernels === 'reference' ? createReferenceBackend() : await createWasmBackend({ threads: opts.threads });
  try {
    const model = await loadEngineModel(modelPath, { backend, signal: opts.signal, onProgress: (f) => opts.onProgress?.(0.3 * f) });
    try {
      const bad = tokens.find((t) => !Number.isInteger(t) || t < 0 || t >= model.spec.nVocab);
      if (bad !== undefined) throw new EngineModelError('ENGINE_BAD_INPUT', `Token id ${bad} is outside the vocabulary (0…${model.spec.nVocab - 1})`);
      const lp = batchLogprobs(model, makeBatch([tokens]), { signal: opts.signal, onProgress: (f) => opts.onProgress?.(0.3 + 0.7 * f) });
      return Array.from(lp.subarray(0, tokens.length - 1));
    } finally {
      model.dispose();
    }
  } finally {
    backend.dispose();
  }
}
