import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EngineModel } from '../model/EngineModel.js';
import { LoraAdapter, type LoraTarget } from '../model/LoraAdapter.js';
import { runTrainingLoop, validateLoopConfig, type LoopConfig, type LoopProgress, type LoopResult } from '../train/trainLoop.js';
import type { EncodedPair } from './encodePairs.js';
import { pairLogps, type PairLogps } from './pairLogps.js';
import { preferenceTrainObjective, type PreferenceLossMix } from './preferenceTrainObjective.js';
import { TuneError } from './TuneError.js';

export type TuneMethod = 'dpo' | 'ipo' | 'sft';

/** Every projection a LoRA can sit on; LoraAdapter.create keeps those the model has (phi3: attn_qkv, fused ffn_up). */
export const ALL_LORA_TARGETS: LoraTarget[] = ['attn_q', 'attn_k', 'attn_v', 'attn_qkv', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down'];

/** Everything that decides a preference run's result (saved as runs/<id>/config.json). */
export interface TuneConfig extends LoopConfig {
  method: TuneMethod;
  /** Loss weights; default: weight 1 on `method` alone. */
  mix?: PreferenceLossMix;
  /** DPO/IPO temperature (TRL's beta). */
  beta: number;
  /** dropout: PEFT's lora_dropout on the LoRA branch's input while training (default 0). */
  lora: { r: number; alpha: number; targets: LoraTarget[]; dropout?: number };
  /** Seed of the adapter's initialisation and of the pair order. */
  seed: number;
  /**
   * Where the reference log-probs come from: 'base' (default) the base with the adapter off; 'init' the base with
   * the adapter the run starts from (TuneData.init) — DNO's reference, the previous iterate.
   */
  reference?: 'base' | 'init';
}

/** Tokenized pairs; `baseId` names the base weights (e.g. the model file's SHA-256) so a run never resumes on another base. */
export interface TuneData {
  train: EncodedPair[];
  heldOut?: EncodedPair[];
  baseId: string;
  /**
   * An adapter to continue training instead of a fresh one (left unchanged: the run trains a copy). Its rank and
   * alpha must be the config's; its projections replace config.lora.targets. `id` names its weights (e.g. the
   * file's SHA-256) so a run never resumes from another start.
   */
  init?: { adapter: LoraAdapter; id: string };
}

export interface TuneResult extends LoopResult {
  adapter: LoraAdapter;
  /** Reference sums of the training pairs (base with the adapter off, or with the initial adapter: config.reference). */
  reference: PairLogps;
}

/** The quick defaults: a few hundred pairs train on the demo model in minutes on 2 cores. */
export const DEFAULT_TUNE: Omit<TuneConfig, 'steps'> = {
  method: 'dpo', beta: 0.1,
  lora: { r: 8, alpha: 16, targets: ALL_LORA_TARGETS },
  batchSize: 8, microBatch: 4, lr: 3e-3, minLr: 2e-4, warmupSteps: 5, weightDecay: 0, beta1: 0.9, beta2: 0.999,
  gradClip: 1, checkpointEvery: 10, evalEvery: 0, logEvery: 1, seed: 1,
};

const REFERENCE = 'reference-logps.json';
/** metrics.jsonl under TRL's names, so charts and scripts written for TRL logs read ours. */
const TRL_NAMES = { lr: 'learning_rate', gradNorm: 'grad_norm', tokensPerSec: 'tokens/s', elapsedSec: 'elapsed_s' };

export function mixOf(config: Pick<TuneConfig, 'method' | 'mix'>): PreferenceLossMix {
  return config.mix ?? { [config.method]: 1 };
}

function validate(c: TuneConfig, data: TuneData): void {
  validateLoopConfig(c);
  if (!['dpo', 'ipo', 'sft'].includes(c.method)) throw new TuneError('TUNE_CONFIG', `Unknown method '${String(c.method)}' (dpo, ipo or sft).`);
  if (!(c.beta > 0)) throw new TuneError('TUNE_CONFIG', 'beta must be positive.');
  if (!Number.isInteger(c.lora.r) || c.lora.r < 1 || !(c.lora.alpha > 0)) throw new TuneError('TUNE_CONFIG', 'LoRA rank must be a positive integer and alpha positive.');
  if (c.lora.dropout !== undefined && !(c.lora.dropout >= 0 && c.lora.dropout < 1)) throw new TuneError('TUNE_CONFIG', `LoRA dropout must be in [0, 1), not ${c.lora.dropout}.`);
  const mix = mixOf(c);
  if (!Object.values(mix).some((w) => (w ?? 0) > 0)) throw new TuneError('TUNE_CONFIG', 'The loss mix gives every loss weight 0.');
  if (data.train.length === 0) throw new TuneError('TUNE_NO_PAIRS', 'No training pairs were given.');
  if (c.reference !== undefined && !['base', 'init'].includes(c.reference)) throw new TuneError('TUNE_CONFIG', `Unknown reference '${String(c.reference)}' (base or init).`);
  if (c.reference === 'init' && !data.init) throw new TuneError('TUNE_CONFIG', 'The reference is the initial adapter, but the run starts from none.');
  if (data.init && (data.init.adapter.r !== c.lora.r || data.init.adapter.alpha !== c.lora.alpha)) {
    throw new TuneError('TUNE_CONFIG', `The initial adapter has rank ${data.init.adapter.r} and alpha ${data.init.adapter.alpha}; the run asks for ${c.lora.r} and ${c.lora.alpha}.`);
  }
}

/** A trainable copy of an adapter on the same model (the original stays as it is: it may be the reference). */
function copyAdapter(model: EngineModel, from: LoraAdapter): LoraAdapter {
  const byName = new Map(model.linears().map((w) => [w.name, w]));
  const out = new LoraAdapter(from.r, from.alpha);
  for (const [name, p] of from.pairs) {
    const w = byName.get(name);
    if (!w) throw new TuneError('TUNE_CONFIG', `The initial adapter has ${name}, which this model does not have.`);
    out.add(w, Float32Array.from(p.a), Float32Array.from(p.b));
  }
  return out;
}

function pairsHash(pairs: EncodedPair[]): string {
  const h = createHash('sha256');
  for (const p of pairs) {
    for (const a of [p.chosen, p.rejected]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).update('|');
    h.update(`${p.chosenStart},${p.rejectedStart};`);
  }
  return h.digest('hex');
}

/**
 * Trains a LoRA adapter on preference pairs over a frozen base (weights stay in their stored type): reference
 * log-probs from the same base with no adapter (or, config.reference 'init', with the adapter the run starts from:
 * DNO's previous iterate), computed once and kept in runDir/reference-logps.json; then the
 * one training loop with the preference objective, metrics under TRL's names, checkpoints and exact resume.
 */
export async function trainPreferences(runDir: string, model: EngineModel, config: TuneConfig, data: TuneData, opts: {
  resume?: boolean; signal?: AbortSignal; onProgress?: (p: LoopProgress) => void; onReferenceProgress?: (fraction: number) => void;
} = {}): Promise<TuneResult> {
  validate(config, data);
  mkdirSync(runDir, { recursive: true });
  const dataHash = createHash('sha256').update(pairsHash(data.train)).update(pairsHash(data.heldOut ?? [])).digest('hex');
  const initId = data.init?.id;
  const runHash = createHash('sha256').update(JSON.stringify({ config, dataHash, baseId: data.baseId, ...(initId ? { initId } : {}) })).digest('hex');
  writeFileSync(path.join(runDir, 'config.json'), JSON.stringify({
    ...config, trainPairs: data.train.length, heldOutPairs: data.heldOut?.length ?? 0, baseId: data.baseId, ...(initId ? { initId } : {}), dataHash, runHash,
  }, null, 2) + '\n');

  const micro = config.microBatch ?? config.batchSize;
  const all = [...data.train, ...(data.heldOut ?? [])];
  const refPath = path.join(runDir, REFERENCE);
  let ref: PairLogps | undefined;
  if (opts.resume !== false && existsSync(refPath)) {
    const saved = JSON.parse(readFileSync(refPath, 'utf8')) as { runHash: string; chosen: number[]; rejected: number[] };
    if (saved.runHash === runHash && saved.chosen.length === all.length) ref = { chosen: Float64Array.from(saved.chosen), rejected: Float64Array.from(saved.rejected) };
  }
  if (!ref) {
    const refLora = config.reference === 'init' ? data.init!.adapter : null;
    ref = pairLogps(model, all, { lora: refLora, microBatch: micro, signal: opts.signal, onProgress: opts.onReferenceProgress });
    writeFileSync(refPath, JSON.stringify({ runHash, chosen: Array.from(ref.chosen), rejected: Array.from(ref.rejected) }) + '\n');
  }
  const n = data.train.length;
  const reference = { chosen: ref.chosen.subarray(0, n), rejected: ref.rejected.subarray(0, n) };
  const heldOut = data.heldOut?.length ? { pairs: data.heldOut, reference: { chosen: ref.chosen.subarray(n), rejected: ref.rejected.subarray(n) } } : undefined;

  const adapter = data.init ? copyAdapter(model, data.init.adapter)
    : LoraAdapter.create(model, { r: config.lora.r, alpha: config.lora.alpha, targets: config.lora.targets, seed: config.seed });
  adapter.dropout = config.lora.dropout ?? 0;
  if (adapter.pairs.size === 0) {
    throw new TuneError('TUNE_CONFIG', `None of the LoRA targets (${config.lora.targets.join(', ')}) is a projection of this ${model.spec.architecture} model.`);
  }
  const objective = preferenceTrainObjective({ model, lora: adapter, pairs: data.train, reference, heldOut, mix: mixOf(config), beta: config.beta, seed: config.seed, microBatch: micro });
  const r = await runTrainingLoop(runDir, config, objective, { runHash, resume: opts.resume, signal: opts.signal, onProgress: opts.onProgress, metricNames: TRL_NAMES });
  return { ...r, adapter, reference };
}
