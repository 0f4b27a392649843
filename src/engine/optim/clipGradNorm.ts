import type { Param } from '../model/EngineModel.js';

/** Scale all gradients so their global L2 norm is at most maxNorm. Returns the norm before clipping. */
export function clipGradNorm(params: Param[], maxNorm: number): number {
  let ss = 0;
  for (const p of params) for (let i = 0; i < p.grad.length; i++) ss += p.grad[i] * p.grad[i];
  const norm = Math.sqrt(ss);
  if (norm > maxNorm && norm > 0) {
    const s = maxNorm / norm;
    for (const p of params) for (let i = 0; i < p.grad.length; i++) p.grad[i] *= s;
  }
  return norm;
}
