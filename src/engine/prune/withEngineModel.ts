import { throwIfAborted } from '../errors.js';
import { createWasmBackend, type KernelBackend } from '../kernels/index.js';
import { loadEngineModel, type EngineModel } from '../model/index.js';
import { PruneError } from './PruneError.js';
import type { ScoreContext } from './scoreTypes.js';

/** Loads the model on the context's backend (or the WASM kernels) for fn, and frees what it created. */
export async function withEngineModel<T>(ctx: ScoreContext, fn: (model: EngineModel) => Promise<T> | T): Promise<T> {
  throwIfAborted(ctx.signal);
  const backend: KernelBackend = ctx.backend ?? (await createWasmBackend({ threads: ctx.threads }));
  try {
    const model = await loadEngineModel(ctx.modelPath, { backend, signal: ctx.signal });
    try {
      return await fn(model);
    } finally {
      model.dispose();
    }
  } finally {
    if (!ctx.backend) backend.dispose();
  }
}

/** The calibration sequences grouped into batches of at most `maxTokens` tokens (one forward each). */
export function calibrationBatches(ctx: ScoreContext, maxTokens = 512): number[][][] {
  const cal = ctx.calibration;
  if (!cal) throw new PruneError('PRUNE_NO_CALIBRATION', 'this method runs the model on calibration text, and none was given');
  const batches: number[][][] = [];
  let cur: number[][] = [], n = 0;
  for (const s of cal.sequences) {
    if (n + s.length > maxTokens && cur.length) { batches.push(cur); cur = []; n = 0; }
    cur.push(s);
    n += s.length;
  }
  if (cur.length) batches.push(cur);
  return batches;
}
