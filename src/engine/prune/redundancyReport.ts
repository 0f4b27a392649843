import { throwIfAborted } from '../errors.js';
import { Rng } from '../model/random.js';
import { ffnActivationStats } from './ffnActivationStats.js';
import { scoreSensitivity } from './scoreSensitivity.js';
import type { ScoreContext } from './scoreTypes.js';
import { withEngineModel } from './withEngineModel.js';

/** Calibration rows kept per layer for similarities and the span fits ([rows, F] floats each). */
const SAMPLE_ROWS = 256;
/** |cos| at or above which two neurons count as partners (not unique). */
export const PARTNER_COS = 0.8;
/** Neurons per layer whose linear-span R² is fitted, and how many of their most similar neurons they are fitted on. */
const SPAN_NEURONS = 16;
const SPAN_REGRESSORS = 32;

export interface LayerRedundancy {
  layer: number;
  nFf: number;
  /** share of neurons with no partner at |cos| ≥ 0.8 over the calibration activations */
  uniqueness: number;
  /** mean over neurons of the largest |cos| with another neuron */
  meanMaxCos: number;
  /** Σ_i of the first-order sensitivity |Σ W ⊙ ∂L/∂W| over the layer's neurons */
  sensitivity: number;
  /** mean R² (on held-out calibration rows) of sampled neurons' activations fitted linearly from their most similar
   *  neighbours' — how much of a neuron the others already span */
  spanR2: number;
}

export interface RedundancyReport {
  layers: LayerRedundancy[];
  calibrationTokens: number;
  sampleRows: number;
}

/**
 * How redundant each FFN layer's neurons are on the calibration text: uniqueness, mean max |cos|, summed
 * sensitivity and a sampled linear-span R². One forward over the calibration text for the activations, backward
 * passes for the sensitivity; similarities from the first 256 calibration rows.
 */
export async function redundancyReport(ctx: ScoreContext): Promise<RedundancyReport> {
  const sens = await scoreSensitivity({ ...ctx, onProgress: (f) => ctx.onProgress?.(0.5 * f) });
  return withEngineModel(ctx, (model) => {
    const F = model.nFf;
    const stats = ffnActivationStats(model, { ...ctx, onProgress: (f) => ctx.onProgress?.(0.5 + 0.3 * f) }, { sampleRows: SAMPLE_ROWS });
    const T = stats.sampleRows;
    const gram = new Float32Array(F * F);
    const rng = new Rng(ctx.seed);
    const layers = stats.samples!.map((h, l): LayerRedundancy => {
      throwIfAborted(ctx.signal);
      model.backend.gemm(true, false, F, F, T, 1, h, h, 0, gram);
      const norm = Float64Array.from({ length: F }, (_, i) => Math.sqrt(Math.max(0, gram[i * F + i])));
      const cos = (i: number, j: number): number => Math.abs(gram[i * F + j]) / (norm[i] * norm[j] + 1e-6);
      let unique = 0, maxSum = 0;
      for (let i = 0; i < F; i++) {
        let m = 0;
        for (let j = 0; j < F; j++) if (j !== i) m = Math.max(m, cos(i, j));
        if (m < PARTNER_COS) unique++;
        maxSum += m;
      }
      const picks = Array.from({ length: Math.min(F, SPAN_NEURONS) }, () => rng.int(F));
      const r2 = picks.map((i) => spanR2(h, T, F, i, cos));
      ctx.onProgress?.(0.8 + 0.2 * (l + 1) / stats.samples!.length);
      return {
        layer: l, nFf: F, uniqueness: unique / F, meanMaxCos: maxSum / F,
        sensitivity: sens.scores[l].reduce((a, b) => a + b, 0), spanR2: r2.reduce((a, b) => a + b, 0) / r2.length,
      };
    });
    return { layers, calibrationTokens: stats.count, sampleRows: T };
  });
}

/**
 * R² of neuron i's activation on the second half of the sample rows, predicted by a ridge least-squares fit on the
 * first half from the (up to 32) neurons most similar to it. h [T, F].
 */
function spanR2(h: Float32Array, T: number, F: number, i: number, cos: (a: number, b: number) => number): number {
  const others = Array.from({ length: F }, (_, j) => j).filter((j) => j !== i).sort((a, b) => cos(i, b) - cos(i, a));
  const X = others.slice(0, Math.min(SPAN_REGRESSORS, Math.floor(T / 4)));
  const k = X.length, half = Math.floor(T / 2);
  if (k === 0 || half < 2) return 0;
  // normal equations (XᵀX + λI) β = Xᵀy on rows [0, half)
  const A = new Float64Array(k * k), b = new Float64Array(k);
  for (let t = 0; t < half; t++) {
    const row = t * F, y = h[row + i];
    for (let p = 0; p < k; p++) {
      const xp = h[row + X[p]];
      b[p] += xp * y;
      for (let q = 0; q <= p; q++) A[p * k + q] += xp * h[row + X[q]];
    }
  }
  let trace = 0;
  for (let p = 0; p < k; p++) trace += A[p * k + p];
  const lambda = 1e-3 * (trace / k) + 1e-9;
  for (let p = 0; p < k; p++) { A[p * k + p] += lambda; for (let q = 0; q < p; q++) A[q * k + p] = A[p * k + q]; }
  const beta = solveSpd(A, b, k);
  // R² on rows [half, T)
  let mean = 0;
  for (let t = half; t < T; t++) mean += h[t * F + i];
  mean /= T - half;
  let ssRes = 0, ssTot = 0;
  for (let t = half; t < T; t++) {
    const row = t * F;
    let pred = 0;
    for (let p = 0; p < k; p++) pred += beta[p] * h[row + X[p]];
    ssRes += (h[row + i] - pred) ** 2;
    ssTot += (h[row + i] - mean) ** 2;
  }
  return ssTot > 0 ? Math.max(0, 1 - ssRes / ssTot) : 0;
}

/** Solves A x = b for a symmetric positive definite A [k, k] (Cholesky). */
function solveSpd(A: Float64Array, b: Float64Array, k: number): Float64Array {
  const Lm = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * k + j];
      for (let p = 0; p < j; p++) s -= Lm[i * k + p] * Lm[j * k + p];
      Lm[i * k + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / Lm[j * k + j];
    }
  }
  const y = new Float64Array(k), x = new Float64Array(k);
  for (let i = 0; i < k; i++) { let s = b[i]; for (let p = 0; p < i; p++) s -= Lm[i * k + p] * y[p]; y[i] = s / Lm[i * k + i]; }
  for (let i = k - 1; i >= 0; i--) { let s = y[i]; for (let p = i + 1; p < k; p++) s -= Lm[p * k + i] * x[p]; x[i] = s / Lm[i * k + i]; }
  return x;
}
