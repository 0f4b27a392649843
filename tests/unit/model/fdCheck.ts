// Finite-difference helpers shared by the engine's gradient tests (not a test file itself).
import assert from 'node:assert/strict';

export function randn(n: number, seed: number, scale = 1, Ctor: typeof Float32Array | typeof Float64Array = Float32Array): any {
  let s = seed >>> 0 || 1;
  const next = (): number => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return (s + 0.5) / 4294967296; };
  const a = new Ctor(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(next())), th = 2 * Math.PI * next();
    a[i] = r * Math.cos(th) * scale;
    if (i + 1 < n) a[i + 1] = r * Math.sin(th) * scale;
  }
  return a;
}

/**
 * Directional derivative check: for a random unit direction d over `data`, the analytic Σ grad·d must match the
 * central difference (L(x + εd) − L(x − εd)) / 2ε. Robust in F32 because it aggregates many coordinates.
 */
export function checkDirection(label: string, data: Float32Array | Float64Array, grad: ArrayLike<number>, loss: () => number,
  opts: { eps?: number; rtol?: number; atol?: number; seed?: number } = {}): void {
  const eps = opts.eps ?? 1e-2;
  const d = randn(data.length, opts.seed ?? 7, 1, Float64Array) as Float64Array;
  let nrm = 0;
  for (let i = 0; i < d.length; i++) nrm += d[i] * d[i];
  nrm = Math.sqrt(nrm);
  let analytic = 0;
  for (let i = 0; i < d.length; i++) { d[i] /= nrm; analytic += grad[i] * d[i]; }
  const orig = Float64Array.from(data);
  for (let i = 0; i < d.length; i++) data[i] = orig[i] + eps * d[i];
  const lp = loss();
  for (let i = 0; i < d.length; i++) data[i] = orig[i] - eps * d[i];
  const lm = loss();
  data.set(orig);
  const fd = (lp - lm) / (2 * eps);
  const tol = (opts.atol ?? 1e-5) + (opts.rtol ?? 1e-2) * Math.max(Math.abs(fd), Math.abs(analytic));
  assert.ok(Math.abs(fd - analytic) <= tol, `${label}: analytic ${analytic} vs finite difference ${fd}`);
  assert.ok(Math.abs(analytic) > 1e-6, `${label}: gradient along the direction is ~0 (${analytic}); the check would be empty`);
}

/** Elementwise central differences (F64 ops). */
export function checkElementwise(label: string, data: Float64Array, grad: ArrayLike<number>, loss: () => number,
  eps = 1e-6, tol = 1e-6): void {
  for (let i = 0; i < data.length; i++) {
    const o = data[i];
    data[i] = o + eps; const lp = loss();
    data[i] = o - eps; const lm = loss();
    data[i] = o;
    const fd = (lp - lm) / (2 * eps);
    assert.ok(Math.abs(fd - grad[i]) <= tol * Math.max(1, Math.abs(fd)), `${label}[${i}]: analytic ${grad[i]} vs finite difference ${fd}`);
  }
}

/** Σ out·R: a scalar loss whose gradient w.r.t. out is R. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
