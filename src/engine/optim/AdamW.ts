import type { Param } from '../model/EngineModel.js';

export interface AdamWOptions {
  lr: number;
  beta1?: number;         // default 0.9
  beta2?: number;         // default 0.999
  eps?: number;           // default 1e-8
  weightDecay?: number;   // default 0.01, decoupled (AdamW)
  /** Which parameters get weight decay; default: matrices (not norms, biases, or 1-D arrays). */
  decays?: (p: Param) => boolean;
}

const defaultDecays = (p: Param): boolean => !p.name.endsWith('.bias') && !/norm\.weight$/.test(p.name);

/** AdamW (Loshchilov & Hutter): Adam moments with bias correction, weight decay applied to the weights directly. */
export class AdamW {
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  /** Steps taken so far. */
  t = 0;
  constructor(readonly params: Param[], readonly opts: AdamWOptions) {
    this.m = params.map((p) => new Float32Array(p.data.length));
    this.v = params.map((p) => new Float32Array(p.data.length));
  }

  /** One update with the gradients now in params[i].grad; `lr` overrides the configured rate (schedules). */
  step(lr = this.opts.lr): void {
    const b1 = this.opts.beta1 ?? 0.9, b2 = this.opts.beta2 ?? 0.999, eps = this.opts.eps ?? 1e-8;
    const wd = this.opts.weightDecay ?? 0.01;
    const decays = this.opts.decays ?? defaultDecays;
    this.t++;
    const c1 = 1 - Math.pow(b1, this.t), c2 = 1 - Math.pow(b2, this.t);
    this.params.forEach((p, k) => {
      const m = this.m[k], v = this.v[k], w = p.data, g = p.grad;
      const d = decays(p) ? wd : 0;
      for (let i = 0; i < w.length; i++) {
        const gi = g[i];
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        w[i] -= lr * ((m[i] / c1) / (Math.sqrt(v[i] / c2) + eps) + d * w[i]);
      }
    });
  }

  zeroGrad(): void {
    for (const p of this.params) p.grad.fill(0);
  }

  /** Moments and step count, for checkpoints. */
  state(): { t: number; m: Float32Array[]; v: Float32Array[] } {
    return { t: this.t, m: this.m, v: this.v };
  }

  loadState(s: { t: number; m: Float32Array[]; v: Float32Array[] }): void {
    this.t = s.t;
    s.m.forEach((a, i) => this.m[i].set(a));
    s.v.forEach((a, i) => this.v[i].set(a));
  }
}
