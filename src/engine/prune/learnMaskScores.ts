import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { EngineModel, Param } from '../model/index.js';
import { hardMaskFromScores, lossAndGrad, makeBatch, modelForward } from '../model/index.js';
import { headLogits } from '../model/ops/head.js';
import { nllWeights } from '../loss/index.js';
import { runTrainingLoop, type LoopConfig, type TrainObjective } from '../train/index.js';
import { PruneError } from './PruneError.js';
import type { NeuronScores, ScoreContext } from './scoreTypes.js';
import { withEngineModel } from './withEngineModel.js';

/** Mask scores learn at their own rate, from 0 (the paper's setting). */
const SCORE_LR = 0.01;
/** Running averages of the activation Gram matrix and norms (GUM). */
const MOMENTUM = 0.999;
/** GUM's final penalty weight and the weight of uniqueness inside it. */
const LAMBDA_FINAL = 2;
const LAMBDA_U = 1;
/** GUM keeps an [F, F] Gram matrix per layer: refuse models where that passes this many floats in all. */
const MAX_GRAM_FLOATS = 128 << 20;
export const DEFAULT_MASK_STEPS = 100;

/**
 * Kept fraction at step t of T: held at 1 for w0 steps, then the cubic v_f + (1 − v_f)·(1 − (t − w0)/(T − w0 − w1))³,
 * held at v_f for the last w1 steps.
 */
export function cubicKeepSchedule(t: number, T: number, vf: number, w0 = Math.floor(0.1 * T), w1 = Math.floor(0.1 * T)): number {
  if (t < w0) return 1;
  const span = Math.max(1, T - w0 - w1);
  const p = Math.min(1, (t - w0) / span);
  return vf + (1 - vf) * (1 - p) ** 3;
}

/**
 * Learned mask scores with the base weights frozen in their stored type (movement; with `gum`, Globally Unique
 * Movement). Each step runs the calibration window with the FFN neurons gated by a hard 0/1 mask (top-v of the
 * scores per layer, or across layers for a global allocation), v following the cubic schedule; the score gradient
 * passes straight through the mask (Σ_t dL/dh·h). GUM adds the penalty λ(t)·(1/N)·Σ_i sigmoid(S_i)·(1 + λu·u_i),
 * u_i = Σ_j |cos_ij| / (N·v) from running activation cosines, λ(t) = λ_final·v(t)/v_f: neurons that look like
 * many others are pushed out. With `distill` the targets are the unpruned model's own greedy next tokens (the same
 * weights with the masks off — no second copy) instead of the text's.
 */
export async function learnMaskScores(ctx: ScoreContext, gum: boolean): Promise<NeuronScores> {
  const steps = ctx.steps ?? DEFAULT_MASK_STEPS;
  const vf = ctx.keep ?? 0.5;
  const seqs = ctx.calibration?.sequences;
  if (!seqs?.length) throw new PruneError('PRUNE_NO_CALIBRATION', `${gum ? 'gum' : 'movement'} learns on calibration text, and none was given`);
  const ownDir = ctx.runDir ? undefined : mkdtempSync(path.join(os.tmpdir(), 'ml-mask-'));
  const runDir = ctx.runDir ?? ownDir!;
  try {
    return await withEngineModel(ctx, async (model) => {
      const L = model.layers.length, F = model.nFf;
      if (gum && L * F * F > MAX_GRAM_FLOATS) {
        throw new PruneError('PRUNE_TOO_LARGE', `gum keeps an ${F}×${F} similarity matrix per layer (${((L * F * F * 4) / 2 ** 30).toFixed(1)} GiB): use gum-oneshot for this model`);
      }
      const params: Param[] = model.layers.map((_, l) => ({ name: `mask_scores.${l}`, data: new Float32Array(F), grad: new Float32Array(F) }));
      const gram = gum ? model.layers.map(() => new Float32Array(F * F)) : [];
      const tmpGram = gum ? new Float32Array(F * F) : new Float32Array(0);
      const mode = ctx.allocation === 'global' || gum ? 'global' : 'local';
      const objective: TrainObjective = {
        params,
        microStep(cursor, count, batchSize, signal) {
          const step = Math.floor(cursor / batchSize);
          const v = cubicKeepSchedule(step, steps, vf);
          const ffnMask = hardMaskFromScores(params.map((p) => p.data), v, mode);
          const ffnMaskGrad = params.map(() => new Float32Array(F));
          let loss = 0, tokens = 0;
          for (let k = 0; k < count; k++) {
            const batch = makeBatch([seqs[(cursor + k) % seqs.length]]);
            if (ctx.distill) batch.targets.set(teacherTargets(model, batch));
            const w = nllWeights(batch);
            for (let i = 0; i < w.length; i++) w[i] /= batchSize;
            const r = lossAndGrad(model, batch, { weights: w }, {
              ffnMask, ffnMaskGrad, signal,
              captureFfn: gum ? (l, h, N) => accumulateGram(model, gram[l], tmpGram, h, N, F) : undefined,
            });
            loss += r.loss;
            tokens += batch.tokens.length;
          }
          params.forEach((p, l) => { for (let i = 0; i < F; i++) p.grad[i] += ffnMaskGrad[l][i]; });
          const stats: Record<string, number> = { keep: v / (batchSize / count) };
          if (gum) loss += gumPenalty(params, gram, F, v, vf, count / batchSize);
          return { loss, tokens, stats };
        },
      };
      const config: LoopConfig = {
        steps, batchSize: 1, lr: SCORE_LR, minLr: SCORE_LR, warmupSteps: 0, weightDecay: 0, beta1: 0.9, beta2: 0.999,
        gradClip: 1e9, checkpointEvery: Math.max(10, Math.ceil(steps / 10)), evalEvery: 0, logEvery: 1,
      };
      const runHash = createHash('sha256').update(JSON.stringify({ gum, steps, vf, seed: ctx.seed, mode, distill: !!ctx.distill, cal: ctx.calibration!.sha256, model: ctx.modelPath })).digest('hex');
      await runTrainingLoop(runDir, config, objective, {
        runHash, signal: ctx.signal, onProgress: (p) => ctx.onProgress?.(p.step / p.steps),
      });
      return { scores: params.map((p) => Float32Array.from(p.data)) };
    });
  } finally {
    if (ownDir) rmSync(ownDir, { recursive: true, force: true });
  }
}

/** The unpruned model's greedy next token per row (masks off: the same weights, no second copy). */
function teacherTargets(model: EngineModel, batch: ReturnType<typeof makeBatch>): Int32Array {
  const N = batch.tokens.length;
  const st = modelForward(model, batch, {});
  const rows = Array.from({ length: N }, (_, i) => i);
  const logits = headLogits(model.backend, model.output, st.xn, rows);
  const V = model.spec.nVocab;
  const out = Int32Array.from(batch.targets);
  for (let t = 0; t < N; t++) {
    if (out[t] < 0) continue;
    let best = 0;
    for (let j = 1; j < V; j++) if (logits[t * V + j] > logits[t * V + best]) best = j;
    out[t] = best;
  }
  return out;
}

/** gram ← momentum·gram + (1 − momentum)·hᵀh  (h [N, F]; the diagonal holds the squared norms). */
function accumulateGram(model: EngineModel, gram: Float32Array, tmp: Float32Array, h: Float32Array, N: number, F: number): void {
  model.backend.gemm(true, false, F, F, N, 1, h.subarray(0, N * F), h.subarray(0, N * F), 0, tmp);
  for (let k = 0; k < gram.length; k++) gram[k] = MOMENTUM * gram[k] + (1 - MOMENTUM) * tmp[k];
}

/** Adds GUM's penalty gradient to the score gradients (scaled by `share` of the step) and returns its value. */
function gumPenalty(params: Param[], gram: Float32Array[], F: number, v: number, vf: number, share: number): number {
  const lambda = (LAMBDA_FINAL * v) / vf;
  let total = 0;
  params.forEach((p, l) => {
    const g = gram[l];
    for (let i = 0; i < F; i++) {
      const ni = Math.sqrt(Math.max(0, g[i * F + i]));
      let u = 0;
      for (let j = 0; j < F; j++) if (j !== i) u += Math.abs(g[i * F + j]) / (ni * Math.sqrt(Math.max(0, g[j * F + j])) + 1e-6);
      u /= F * v;
      const sig = 1 / (1 + Math.exp(-p.data[i]));
      const weight = (lambda / F) * (1 + LAMBDA_U * u) * share;
      total += weight * sig;
      p.grad[i] += weight * sig * (1 - sig);
    }
  });
  return total;
}
