import { KernelArgumentError, KernelDisposedError, type KernelBackend, type WeightHandle } from '../KernelBackend.js';
import { weightLayout } from '../weightTypes.js';
import { dequantize } from '../../quant/index.js';
import { roundLikeLlamaCpp } from '../llamaCppRounding.js';

interface RefWeight extends WeightHandle { bytes: Uint8Array; rowBytes: number; freed: boolean }

/** Row r of W in F32, through the quant library's dequantize (one row at a time: no F32 copy of W). */
function rowOf(w: RefWeight, r: number): Float32Array {
  return dequantize(w.type, w.bytes.subarray(r * w.rowBytes, (r + 1) * w.rowBytes), w.cols);
}

/**
 * The reference twin of every kernel: plain loops, one row of W dequantized at a time, sums in float64. Slow
 * (a few GFLOP/s at best); it exists to be obviously right, and for tests.
 */
export function createReferenceBackend(): KernelBackend {
  let disposed = false;
  const live = new Set<RefWeight>();
  const alive = (): void => { if (disposed) throw new KernelDisposedError(); };
  const own = (w: WeightHandle): RefWeight => {
    const r = w as RefWeight;
    if (!live.has(r)) throw new KernelArgumentError('This weight was freed or belongs to another backend.');
    return r;
  };
  const out = (given: Float32Array | undefined, n: number, what: string): Float32Array => {
    if (!given) return new Float32Array(n);
    if (given.length < n) throw new KernelArgumentError(`${what} has ${given.length} values; it needs ${n}.`);
    return given;
  };
  const need = (a: Float32Array, n: number, what: string): void => {
    if (a.length < n) throw new KernelArgumentError(`${what} has ${a.length} values; it needs ${n}.`);
  };

  return {
    name: 'reference',
    threads: 1,
    uploadWeight(type, bytes, cols, rows) {
      alive();
      const l = weightLayout(type, cols, rows, bytes.byteLength);
      const w: RefWeight = { type, cols, rows, byteLength: l.byteLength, bytes: bytes.slice(), rowBytes: l.rowBytes, freed: false };
      live.add(w);
      return w;
    },
    matmul(x, wh, m, y) {
      alive();
      const w = own(wh);
      need(x, m * w.cols, 'x');
      const res = out(y, m * w.rows, 'y');
      // y[t, r] = Σ_c x[t, c] · W[r, c]
      for (let r = 0; r < w.rows; r++) {
        const row = rowOf(w, r);
        for (let t = 0; t < m; t++) {
          let s = 0;
          const xo = t * w.cols;
          for (let c = 0; c < w.cols; c++) s += x[xo + c] * row[c];
          res[t * w.rows + r] = s;
        }
      }
      return res;
    },
    matmulRounded(x, wh, m, y) {
      alive();
      const w = own(wh);
      need(x, m * w.cols, 'x');
      return this.matmul(roundLikeLlamaCpp(w.type, x, m, w.cols), w, m, y);
    },
    matmulBackwardInput(dy, wh, m, dx, accumulate = false) {
      alive();
      const w = own(wh);
      need(dy, m * w.rows, 'dy');
      const res = out(dx, m * w.cols, 'dx');
      const acc = new Float64Array(m * w.cols);
      // dx[t, c] = Σ_r dy[t, r] · W[r, c]
      for (let r = 0; r < w.rows; r++) {
        const row = rowOf(w, r);
        for (let t = 0; t < m; t++) {
          const g = dy[t * w.rows + r];
          if (g === 0) continue;
          const o = t * w.cols;
          for (let c = 0; c < w.cols; c++) acc[o + c] += g * row[c];
        }
      }
      for (let i = 0; i < m * w.cols; i++) res[i] = accumulate && dx ? res[i] + acc[i] : acc[i];
      return res;
    },
    gemm(transA, transB, m, n, k, alpha, a, b, beta, c) {
      alive();
      need(a, m * k, 'A'); need(b, k * n, 'B'); need(c, m * n, 'C');
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let s = 0;
          for (let p = 0; p < k; p++) s += (transA ? a[p * m + i] : a[i * k + p]) * (transB ? b[j * k + p] : b[p * n + j]);
          c[i * n + j] = beta === 0 ? alpha * s : alpha * s + beta * c[i * n + j];
        }
      }
    },
    softmax(x, rows, cols, causal = false) {
      alive();
      need(x, rows * cols, 'x');
      for (let i = 0; i < rows; i++) {
        const o = i * cols;
        const n = causal ? Math.max(0, Math.min(cols, i + 1 + cols - rows)) : cols;
        let mx = -Infinity;
        for (let j = 0; j < n; j++) mx = Math.max(mx, x[o + j]);
        if (mx === -Infinity) mx = 0;
        let sum = 0;
        for (let j = 0; j < n; j++) sum += Math.exp(x[o + j] - mx);
        for (let j = 0; j < n; j++) x[o + j] = sum > 0 ? Math.exp(x[o + j] - mx) / sum : 0;
        for (let j = n; j < cols; j++) x[o + j] = 0;
      }
    },
    softmaxBackward(p, dp, rows, cols) {
      alive();
      need(p, rows * cols, 'p'); need(dp, rows * cols, 'dp');
      for (let i = 0; i < rows; i++) {
        const o = i * cols;
        let dot = 0;
        for (let j = 0; j < cols; j++) dot += p[o + j] * dp[o + j];
        for (let j = 0; j < cols; j++) dp[o + j] = p[o + j] * (dp[o + j] - dot);
      }
    },
    swiglu(h, g, gOff, u, uOff, stride, rows, cols, mask) {
      alive();
      for (let t = 0; t < rows; t++) {
        for (let i = 0; i < cols; i++) {
          const gv = g[gOff + t * stride + i];
          const v = (gv / (1 + Math.exp(-gv))) * u[uOff + t * stride + i];
          h[t * cols + i] = mask ? v * mask[i] : v;
        }
      }
    },
    swigluBackward(dgu, dh, gu, uOff, stride, rows, cols, mask, dmask) {
      alive();
      for (let t = 0; t < rows; t++) {
        for (let i = 0; i < cols; i++) {
          const gi = t * stride + i, ui = uOff + gi;
          const g = gu[gi], u = gu[ui];
          const sg = 1 / (1 + Math.exp(-g));
          let d = dh[t * cols + i];
          if (dmask) dmask[i] += d * g * sg * u;
          if (mask) d *= mask[i];
          dgu[gi] = d * u * sg * (1 + g * (1 - sg));
          dgu[ui] = d * g * sg;
        }
      }
    },
    rmsnorm(out, rstd, x, w, rows, cols, eps) {
      alive();
      need(x, rows * cols, 'x'); need(out, rows * cols, 'out');
      const f32 = Math.fround;
      for (let t = 0; t < rows; t++) {
        const o = t * cols;
        let ss = 0;
        for (let i = 0; i < cols; i++) ss += x[o + i] * x[o + i];
        const r = f32(1 / f32(Math.sqrt(f32(f32(ss / cols) + f32(eps)))));
        rstd[t] = r;
        for (let i = 0; i < cols; i++) out[o + i] = f32(x[o + i] * r) * w[i];
      }
    },
    rope(x, rows, nHeads, headDim, pos, cos, sin, half, mode, inverse = false) {
      alive();
      const sgn = inverse ? -1 : 1;
      for (let t = 0; t < rows; t++) {
        const tb = pos[t] * half;
        for (let h = 0; h < nHeads; h++) {
          const o = (t * nHeads + h) * headDim;
          for (let i = 0; i < half; i++) {
            const c = cos[tb + i], s = sgn * sin[tb + i];
            const a = mode === 'norm' ? o + 2 * i : o + i;
            const b = mode === 'norm' ? a + 1 : a + half;
            const x0 = x[a], x1 = x[b];
            x[a] = x0 * c - x1 * s;
            x[b] = x0 * s + x1 * c;
          }
        }
      }
    },
    add(y, x, n) {
      alive();
      need(y, n, 'y'); need(x, n, 'x');
      for (let i = 0; i < n; i++) y[i] += x[i];
    },
    allocF32(n) {
      alive();
      return new Float32Array(n);
    },
    freeF32() {
      // garbage-collected
    },
    freeWeight(wh) {
      if (disposed) return; // dispose freed everything already
      const w = own(wh);
      w.freed = true;
      w.bytes = new Uint8Array(0);
      live.delete(w);
    },
    dispose() {
      disposed = true;
      live.clear();
    },
  };
}
