// Job kind 'prune': structured FFN pruning of a model (src/engine/prune) into a new variant of it in the data folder.
// The variant is reserved when the job starts (its id kept in the run folder, so a resumed job finishes the same
// one) and registered with its parent once the file is written and checked; a cancelled job removes it. The
// learned methods (movement, gum) keep their checkpoints in the run folder and resume from them. The neuron scores
// go into the run folder too (neuron-scores.json), for the Prune panel's histograms and similarity heat maps.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readGguf } from '../../engine/gguf/index.js';
import { createReferenceBackend, createWasmBackend, type KernelBackend } from '../../engine/kernels/index.js';
import {
  CALIBRATED_METHODS, calibrationForModel, NEURON_SCORES_FILE, neuronScoresRecord, pruneModel, writeNeuronScores,
  type PruneAllocation, type PruneMethod, type PruneResult,
} from '../../engine/prune/index.js';
import { createVariant, openPendingVariant, TOOL_VERSION, type PendingVariant } from '../../workspace/index.js';
import { defineJobKind } from './JobKind.js';

export interface PruneJobParams {
  /** the model (a base model's file or a variant's) */
  model: string;
  method: PruneMethod;
  sparsity: number;
  allocation?: PruneAllocation;
  seed?: number;
  /** calibration text files (absolute paths); none: the built-in sample */
  calibrationFiles?: string[];
  steps?: number;
  distill?: boolean;
  /** the data folder the new variant goes into */
  dataDirectory: string;
  /** 'wasm' (default) or 'reference' kernels, threads for wasm (default 2) */
  backend?: 'wasm' | 'reference';
  threads?: number;
}

export interface PruneJobResult extends PruneResult {
  variantId: string;
  /** the pruned model (variants/<id>/model.gguf) */
  outputPath: string;
}

const VARIANT_FILE = 'variant.json';

export const pruneJob = defineJobKind<PruneJobParams, PruneJobResult>({
  async run(p, ctx) {
    const allocation = p.allocation ?? 'uniform';
    const seed = p.seed ?? 0;
    ctx.progress({ phase: 'preparing', fraction: 0 });
    const file = await readGguf(p.model, { signal: ctx.signal });
    let calibration;
    if (CALIBRATED_METHODS.has(p.method)) {
      const texts = await Promise.all((p.calibrationFiles ?? []).map(async (f) => ({ name: path.basename(f), text: await fs.readFile(f, 'utf8') })));
      calibration = calibrationForModel(file, texts);
    }
    const variant = await reserveVariant(p, ctx.runDir, { method: p.method, sparsity: p.sparsity, allocation, seed, steps: p.steps, distill: p.distill ?? false }, calibration?.sha256 ?? null, ctx.signal);
    const backend: KernelBackend | undefined = CALIBRATED_METHODS.has(p.method)
      ? (p.backend === 'reference' ? createReferenceBackend() : await createWasmBackend({ threads: p.threads ?? 2 }))
      : undefined;
    let lastLogged = -1;
    try {
      const r = await pruneModel({
        modelPath: p.model, out: variant.file, method: p.method, sparsity: p.sparsity, allocation, seed, calibration, steps: p.steps,
        distill: p.distill, parentSha256: variant.parent.sha256, toolVersion: TOOL_VERSION, backend, runDir: path.join(ctx.runDir, 'scores'),
        signal: ctx.signal,
        // the scores (and similarity summary) the Prune panel draws as histograms and heat maps
        onScores: (s) => writeNeuronScores(path.join(ctx.runDir, NEURON_SCORES_FILE), neuronScoresRecord(p.model, p.method, s)),
        onProgress: ({ stage, fraction }) => {
          ctx.progress({ phase: stage === 'score' ? `scoring (${p.method})` : 'writing', fraction });
          const pct = Math.floor(fraction * 10);
          if (pct !== lastLogged) { lastLogged = pct; ctx.log(`${stage} ${(fraction * 100).toFixed(0)} %`); }
        },
      });
      for (const n of r.notes) ctx.log(`note: ${n}`);
      const v = await variant.commit({ metrics: { arch: r.arch, nFfBefore: r.nFfBefore, perLayerKept: r.perLayerKept, bytesBefore: r.bytesBefore, bytesAfter: r.bytesAfter, seconds: r.seconds, notes: r.notes }, signal: ctx.signal });
      ctx.progress({ phase: 'done', fraction: 1 });
      return { ...r, out: v.path, variantId: v.id, outputPath: v.path };
    } catch (err) {
      // a cancel keeps the reservation (and the learned scores' checkpoint) for a resume; a failure removes it
      if (!ctx.signal.aborted) {
        await variant.abandon().catch(() => undefined);
        await fs.rm(path.join(ctx.runDir, VARIANT_FILE), { force: true });
      }
      throw err;
    } finally {
      backend?.dispose();
    }
  },
});

/** The variant this run writes: the one reserved by an earlier attempt of the same run, or a new reservation. */
async function reserveVariant(p: PruneJobParams, runDir: string, parameters: Record<string, unknown>, dataHash: string | null, signal: AbortSignal): Promise<PendingVariant> {
  const record = path.join(runDir, VARIANT_FILE);
  const earlier = await fs.readFile(record, 'utf8').then((s) => (JSON.parse(s) as { id: string }).id, () => undefined);
  if (earlier) {
    const v = await openPendingVariant(p.dataDirectory, earlier).catch(() => undefined);
    if (v) return v;
  }
  const v = await createVariant(p.dataDirectory, { kind: 'pruned', method: 'prune-ffn', parent: { file: p.model }, parameters, dataHash, signal });
  await fs.mkdir(runDir, { recursive: true });
  await fs.writeFile(record, JSON.stringify({ id: v.id }) + '\n');
  return v;
}
