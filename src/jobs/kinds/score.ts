// Job kind 'score': the Prune panel's "Score model" — scores every FFN neuron of a model by a pruning method
// (the same scoring a 'prune' job does first) and writes them, with the similarity summary where the method runs the
// calibration text, to runs/<id>/neuron-scores.json. Nothing else is written: no variant, no model file.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readGguf } from '../../engine/gguf/index.js';
import { createReferenceBackend, createWasmBackend, type KernelBackend } from '../../engine/kernels/index.js';
import {
  CALIBRATED_METHODS, calibrationForModel, ffnLayout, NEURON_SCORES_FILE, neuronScoresRecord, scoreNeurons, writeNeuronScores,
  type PruneAllocation, type PruneMethod,
} from '../../engine/prune/index.js';
import { defineJobKind } from './JobKind.js';

export interface ScoreJobParams {
  /** the model (a base model's file or a variant's) */
  model: string;
  method: PruneMethod;
  seed?: number;
  /** calibration text files (absolute paths); none: the built-in sample */
  calibrationFiles?: string[];
  /** the learned methods (movement, gum) anneal their masks to this sparsity, chosen this way */
  sparsity?: number;
  allocation?: PruneAllocation;
  steps?: number;
  distill?: boolean;
  /** 'wasm' (default) or 'reference' kernels, threads for wasm (default 2) */
  backend?: 'wasm' | 'reference';
  threads?: number;
}

export interface ScoreJobResult {
  /** runs/<id>/neuron-scores.json (src/engine/prune/neuronScoresFile.ts): what the Jobs view's Open Result opens */
  outputPath: string;
  model: string;
  method: PruneMethod;
  layers: number;
  /** whether the file has the activation-similarity summary */
  similarity: boolean;
}

export const scoreJob = defineJobKind<ScoreJobParams, ScoreJobResult>({
  async run(p, ctx) {
    ctx.progress({ phase: 'preparing', fraction: 0 });
    const file = await readGguf(p.model, { signal: ctx.signal });
    const { layers } = ffnLayout(file);
    const calibrated = CALIBRATED_METHODS.has(p.method);
    let calibration;
    if (calibrated) {
      const texts = await Promise.all((p.calibrationFiles ?? []).map(async (f) => ({ name: path.basename(f), text: await fs.readFile(f, 'utf8') })));
      calibration = calibrationForModel(file, texts);
    }
    const backend: KernelBackend | undefined = calibrated
      ? (p.backend === 'reference' ? createReferenceBackend() : await createWasmBackend({ threads: p.threads ?? 2 }))
      : undefined;
    try {
      const scores = await scoreNeurons(p.method, {
        modelPath: p.model, file, layers, calibration, seed: p.seed ?? 0, backend, steps: p.steps, distill: p.distill,
        keep: 1 - (p.sparsity ?? 0.5), allocation: p.allocation ?? 'uniform', runDir: path.join(ctx.runDir, 'scores'), signal: ctx.signal,
        onProgress: (f) => ctx.progress({ phase: `scoring (${p.method})`, fraction: 0.98 * f }),
      });
      await fs.mkdir(ctx.runDir, { recursive: true });
      const outputPath = path.join(ctx.runDir, NEURON_SCORES_FILE);
      await writeNeuronScores(outputPath, neuronScoresRecord(p.model, p.method, scores));
      ctx.progress({ phase: 'done', fraction: 1 });
      return { outputPath, model: p.model, method: p.method, layers: scores.scores.length, similarity: scores.similarity !== undefined };
    } finally {
      backend?.dispose();
    }
  },
});
