// F32 → Q4_K and Q6_K (layouts in kQuantsDequantize.ts). Our own fits, not llama.cpp's; the format is the same.
// Q4_K: a 5-point least-squares search per sub-block: ~10% lower RMS error than a plain min/max fit on Gaussian
// weights, for 2–4× the time (bench/gguf.bench.ts prints the rate).
import { f16ToF32, f32ToF16 } from './halfFloat.js';

const QK_K = 256;

function putF16(out: Uint8Array, at: number, v: number): number {
  const h = f32ToF16(v);
  out[at] = h & 255;
  out[at + 1] = h >> 8;
  return f16ToF32(h);
}

/**
 * Q4_K: 8 sub-blocks of 32; each x ≈ d·sc·q − dmin·m with q in 0..15 and 6-bit sc, m. Per sub-block we try a
 * few grid spacings around (max − min)/15 and keep the least-squares (scale, min) with the smallest error
 * (clipping an outlier can pay off), then quantize the 8 scales and mins to 6 bits against the super-block maxima.
 */
export function quantizeQ4_K(x: Float32Array): Uint8Array {
  const out = new Uint8Array((x.length / QK_K) * 144);
  const scales = new Float64Array(8);
  const mins = new Float64Array(8);
  const ls = new Uint8Array(8);
  const lm = new Uint8Array(8);
  for (let i = 0, p = 0; i < x.length; i += QK_K, p += 144) {
    let maxScale = 0;
    let maxMin = 0;
    for (let j = 0; j < 8; j++) {
      fitSubBlock(x, i + 32 * j, scales, mins, j);
      maxScale = Math.max(maxScale, scales[j]);
      maxMin = Math.max(maxMin, mins[j]);
    }
    const d = putF16(out, p, maxScale / 63);
    const dmin = putF16(out, p + 2, maxMin / 63);
    for (let j = 0; j < 8; j++) {
      ls[j] = d > 0 ? Math.min(63, Math.round(scales[j] / d)) : 0;
      lm[j] = dmin > 0 ? Math.min(63, Math.round(mins[j] / dmin)) : 0;
    }
    packScaleMin(out, p + 4, ls, lm);
    for (let j = 0; j < 8; j++) {
      const step = d * ls[j];
      const off = dmin * lm[j];
      const inv = step > 0 ? 1 / step : 0;
      const q = p + 16 + (j >> 1) * 32;
      const shift = (j & 1) * 4;
      for (let l = 0; l < 32; l++) {
        const v = Math.max(0, Math.min(15, Math.round((x[i + 32 * j + l] + off) * inv)));
        out[q + l] |= v << shift;
      }
    }
  }
  return out;
}

/** Best x ≈ scale·q − min (q in 0..15, min ≥ 0) for the 32 values at x[o…]; writes scales[j], mins[j]. */
function fitSubBlock(x: Float32Array, o: number, scales: Float64Array, mins: Float64Array, j: number): void {
  let lo = 0; // the offset is stored as a non-negative min, so the fit never starts above 0
  let hi = -Infinity;
  let sx = 0;
  for (let l = 0; l < 32; l++) {
    const v = x[o + l];
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
    sx += v;
  }
  scales[j] = (hi - lo) / 15;
  mins[j] = -lo;
  if (hi <= lo) return;
  let bestErr = Infinity;
  const range = hi - lo;
  // five grid spacings around range/15; rounding of non-negative values as (v + 0.5) | 0 keeps the loop cheap
  for (let k = -2; k <= 2; k++) {
    const iscale = (15 + 0.5 * k) / range;
    let sL = 0;
    let sL2 = 0;
    let sxL = 0;
    for (let l = 0; l < 32; l++) {
      let q = (iscale * (x[o + l] - lo) + 0.5) | 0;
      if (q > 15) q = 15;
      sL += q;
      sL2 += q * q;
      sxL += x[o + l] * q;
    }
    // least squares for x ≈ s·q + m; m must stay ≤ 0
    const det = 32 * sL2 - sL * sL;
    if (det <= 0) continue;
    let s = (32 * sxL - sL * sx) / det;
    let m = (sL2 * sx - sL * sxL) / det;
    if (m > 0) {
      m = 0;
      s = sxL / sL2;
    }
    if (!(s > 0)) continue;
    const inv = 1 / s;
    let err = 0;
    for (let l = 0; l < 32; l++) {
      let q = ((x[o + l] - m) * inv + 0.5) | 0;
      if (q < 0) q = 0;
      else if (q > 15) q = 15;
      const e = s * q + m - x[o + l];
      err += e * e;
    }
    if (err < bestErr) {
      bestErr = err;
      scales[j] = s;
      mins[j] = -m;
    }
  }
}

/** Inverse of kScaleMin: 8 six-bit scales and mins into 12 bytes. */
function packScaleMin(out: Uint8Array, s: number, ls: Uint8Array, lm: Uint8Array): void {
  for (let j = 0; j < 4; j++) {
    out[s + j] = ls[j];
    out[s + j + 4] = lm[j];
  }
  for (let j = 4; j < 8; j++) {
    out[s + j + 4] = (ls[j] & 15) | ((lm[j] & 15) << 4);
    out[s + j - 4] |= (ls[j] >> 4) << 6;
    out[s + j] |= (lm[j] >> 4) << 6;
  }
}

/**
 * Q6_K: 16 sub-blocks of 16; x ≈ d·sc·(q − 32) with q in 0..63 and int8 sc. The value of largest magnitude in a
 * sub-block maps to −32 (like Q4_0), so both signs use the full range.
 */
export function quantizeQ6_K(x: Float32Array): Uint8Array {
  const out = new Uint8Array((x.length / QK_K) * 210);
  const sub = new Float64Array(16);
  const L = new Uint8Array(QK_K);
  for (let i = 0, p = 0; i < x.length; i += QK_K, p += 210) {
    let maxAbsScale = 0;
    let maxScale = 0;
    for (let j = 0; j < 16; j++) {
      let amax = 0;
      let max = 0;
      for (let l = 0; l < 16; l++) {
        const v = x[i + 16 * j + l];
        if (Math.abs(v) > amax) {
          amax = Math.abs(v);
          max = v;
        }
      }
      sub[j] = max / -32;
      if (Math.abs(sub[j]) > maxAbsScale) {
        maxAbsScale = Math.abs(sub[j]);
        maxScale = sub[j];
      }
    }
    // the largest sub-block scale maps to −128 (d may be negative)
    const d = putF16(out, p + 208, maxScale / -128);
    for (let j = 0; j < 16; j++) {
      const sc = d !== 0 ? Math.max(-128, Math.min(127, Math.round(sub[j] / d))) : 0;
      out[p + 192 + j] = sc & 255;
      const step = d * sc;
      const inv = step !== 0 ? 1 / step : 0;
      for (let l = 0; l < 16; l++) L[16 * j + l] = Math.max(0, Math.min(63, Math.round(x[i + 16 * j + l] * inv) + 32));
    }
    for (let half = 0; half < 2; half++) {
      const n = half * 128;
      const ql = p + half * 64;
      const qh = p + 128 + half * 32;
      for (let l = 0; l < 32; l++) {
        const a = L[n + l];
        const b = L[n + l + 32];
        const c = L[n + l + 64];
        const e = L[n + l + 96];
        out[ql + l] = (a & 15) | ((c & 15) << 4);
        out[ql + l + 32] = (b & 15) | ((e & 15) << 4);
        out[qh + l] = (a >> 4) | ((b >> 4) << 2) | ((c >> 4) << 4) | ((e >> 4) << 6);
      }
    }
  }
  return out;
}
