import { performance } from 'node:perf_hooks';
import { throwIfAborted } from '../errors.js';
import { GGUF_VALUE_TYPE as V, readGguf, type GgufMetadataEntry } from '../gguf/index.js';
import { MODEL_LAB } from '../gguf/metadataKeys.js';
import type { KernelBackend } from '../kernels/index.js';
import { DEQUANTIZABLE_TYPES } from '../quant/index.js';
import { allocateNeurons, type NeuronAllocation, type PruneAllocation } from './allocateNeurons.js';
import type { CalibrationSet } from './calibration.js';
import { prunedDownBlock } from './downType.js';
import { ffnLayout } from './ffnLayout.js';
import { PruneError } from './PruneError.js';
import { scoreNeurons } from './scoreNeurons.js';
import { CALIBRATED_METHODS, type NeuronScores, type PruneMethod } from './scoreTypes.js';
import { DOWN_BIAS_ARCHS, writePrunedGguf, type PrunedWriteResult } from './writePrunedGguf.js';

/** Architectures a global allocation can be written for with real per-layer widths (through deci). */
const DECI_SOURCES: ReadonlySet<string> = new Set(['llama', 'phi3', 'deci']);

export interface PruneOptions {
  modelPath: string;
  out: string;
  method: PruneMethod;
  /** share of FFN neurons removed, 0 ≤ sparsity < 1 */
  sparsity: number;
  allocation?: PruneAllocation;
  seed?: number;
  calibration?: CalibrationSet;
  steps?: number;
  distill?: boolean;
  /** learned methods: folder for their checkpoints and metrics (e.g. the workspace's runs/<id>/) */
  runDir?: string;
  /** sha256 of the source file, for the provenance keys (the caller hashes it, with its cache) */
  parentSha256?: string;
  toolVersion?: string;
  backend?: KernelBackend;
  threads?: number;
  signal?: AbortSignal;
  /** called with the neuron scores (and the similarity summary, where the method has one) before they are used */
  onScores?: (scores: NeuronScores) => Promise<void> | void;
  /** called with the kept neuron indices per layer (ascending) once they are chosen */
  onSelection?: (kept: Int32Array[]) => void;
  /** stage and fraction of the whole job, in [0, 1] */
  onProgress?: (p: { stage: 'score' | 'write'; fraction: number }) => void;
}

/** The CLI's JSON (plus what happened along the way, in `notes`). */
export interface PruneResult {
  out: string;
  method: PruneMethod;
  sparsity: number;
  allocation: PruneAllocation;
  arch: string;
  nFfBefore: number | number[];
  perLayerKept: number[];
  bytesBefore: number;
  bytesAfter: number;
  seconds: number;
  /** plain sentences: block rounding, a changed type, an allocation that could not be written as asked, bias */
  notes: string[];
  rounded: NeuronAllocation['rounded'];
  biasCompensation: boolean;
  downTypeChanges: PrunedWriteResult['downTypeChanges'];
}

/**
 * Structured FFN pruning: scores every neuron by `method`, keeps the top (1 − sparsity) per layer (uniform) or
 * across layers (global), and writes a smaller GGUF streamed from the source. A global allocation is written with
 * real per-layer widths through llama.cpp's deci architecture (llama and phi3 sources); other architectures are
 * pruned uniformly and the notes say so.
 */
export async function pruneModel(o: PruneOptions): Promise<PruneResult> {
  const t0 = performance.now();
  if (!(o.sparsity >= 0 && o.sparsity < 1)) throw new PruneError('PRUNE_BAD_SPARSITY', `sparsity must be in [0, 1) (the share of FFN neurons removed), got ${o.sparsity}`);
  const file = await readGguf(o.modelPath, { signal: o.signal });
  const { spec, layers, perLayerWidths } = ffnLayout(file);
  for (const l of layers) {
    if (!DEQUANTIZABLE_TYPES.includes(l.down.type)) throw new PruneError('PRUNE_UNSUPPORTED_TYPE', `${l.down.name} is stored as ${l.down.typeName}, which cannot be requantized here`);
  }
  const notes: string[] = [];
  let allocation: PruneAllocation = o.allocation ?? 'uniform';
  if (allocation === 'global' && !DECI_SOURCES.has(spec.architecture)) {
    notes.push(`${spec.architecture} prunes uniformly: llama.cpp builds every ${spec.architecture} layer with one FFN width, and a ${spec.architecture} model is not converted to an architecture with per-layer widths`);
    allocation = 'uniform';
  }
  const seed = o.seed ?? 0;
  const scores = await scoreNeurons(o.method, {
    modelPath: o.modelPath, file, layers, calibration: CALIBRATED_METHODS.has(o.method) ? o.calibration : undefined, seed,
    backend: o.backend, threads: o.threads, steps: o.steps, distill: o.distill, keep: 1 - o.sparsity, allocation, runDir: o.runDir, signal: o.signal,
    onProgress: (f) => o.onProgress?.({ stage: 'score', fraction: 0.8 * f }),
  });
  throwIfAborted(o.signal);
  await o.onScores?.(scores);
  const alloc = allocateNeurons(scores.scores, o.sparsity, allocation, layers.map((l) => prunedDownBlock(l.down.type)));
  o.onSelection?.(alloc.kept);
  for (const r of alloc.rounded) notes.push(`layer ${r.layer}: ${r.requested} neurons kept rounded to ${r.kept} (ffn_down's quantization block is ${r.block})`);
  const widths = alloc.kept.map((k) => k.length);
  const unequal = widths.some((k) => k !== widths[0]);
  const toDeci = unequal && !perLayerWidths;
  if (toDeci) notes.push(`written as llama.cpp's deci architecture (per-layer FFN widths) from ${spec.architecture}`);
  const target = toDeci ? 'deci' : spec.architecture;
  if (scores.meanActivation) {
    notes.push(DOWN_BIAS_ARCHS.has(target)
      ? 'FLAP bias compensation: the removed neurons\' mean contribution is folded into each layer\'s ffn_down.bias'
      : `no FLAP bias compensation: llama.cpp's ${target} graph loads no FFN down bias`);
  }
  const parameters: Record<string, unknown> = { method: o.method, sparsity: o.sparsity, allocation, seed, calibrationSha256: o.calibration && CALIBRATED_METHODS.has(o.method) ? o.calibration.sha256 : null };
  if (o.steps !== undefined) parameters.steps = o.steps;
  if (o.distill) parameters.distill = true;
  const metadata: GgufMetadataEntry[] = [
    { key: MODEL_LAB.method, type: V.STRING, value: 'prune-ffn' },
    { key: MODEL_LAB.parameters, type: V.STRING, value: JSON.stringify(parameters) },
  ];
  if (o.parentSha256) metadata.push({ key: MODEL_LAB.parentSha256, type: V.STRING, value: o.parentSha256 });
  if (o.toolVersion) metadata.push({ key: MODEL_LAB.toolVersion, type: V.STRING, value: o.toolVersion });
  const w = await writePrunedGguf(o.modelPath, o.out, {
    kept: alloc.kept, architecture: toDeci ? 'deci' : 'same', meanActivation: scores.meanActivation, metadata, signal: o.signal,
    onProgress: (f) => o.onProgress?.({ stage: 'write', fraction: 0.8 + 0.2 * f }),
  });
  for (const c of w.downTypeChanges) notes.push(`layer ${c.layer}: ffn_down rewritten as ${c.to} (${c.from} cannot be requantized here)`);
  return {
    out: o.out, method: o.method, sparsity: o.sparsity, allocation, arch: w.architecture, nFfBefore: spec.nFf,
    perLayerKept: w.perLayerKept, bytesBefore: w.bytesIn, bytesAfter: w.bytesOut, seconds: (performance.now() - t0) / 1000,
    notes, rounded: alloc.rounded, biasCompensation: w.biasCompensation, downTypeChanges: w.downTypeChanges,
  };
}
