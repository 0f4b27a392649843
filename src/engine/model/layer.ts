import type { EngineModel, LayerWeights } from './EngineModel.js';
import type { LoraAdapter } from './LoraAdapter.js';
import { attentionBackward, attentionForward, type SeqSpan } from './ops/attention.js';
import { linearBackward, linearForward, type Linear } from './ops/linear.js';
import { loraDropout, type LoraDropout } from './ops/loraDropout.js';
import { rmsnormBackward } from './ops/rmsnorm.js';

/** What one forward over a token batch shares across layers. */
export interface LayerRun {
  model: EngineModel;
  spans: SeqSpan[];
  /** [N] position of each row inside its sequence. */
  pos: Int32Array;
  N: number;
  lora: LoraAdapter | null;
  /** A training pass with LoRA dropout (lora.dropout > 0): the seed of this pass's masks. Unset: no dropout. */
  loraDropoutSeed?: number;
  /** Per-layer FFN neuron gates [F] (hard 0/1 masks), or null. */
  ffnMask: (Float32Array | null)[] | null;
  /** Per-layer accumulators [F] for the mask (score) gradient, or null. */
  ffnMaskGrad: (Float32Array | null)[] | null;
  /**
   * Forward-only runs: compute the FFN this many rows at a time, so gate, up and h are [rows, ·] instead of
   * [N, ·] (the FFN is row-wise; its buffers are the biggest activations). Unset = all N rows at once (the
   * backward needs the full gu and h).
   */
  ffnRows?: number;
  /** No backward follows: the attention output may overwrite q (one [N, H·D] buffer less). */
  forwardOnly?: boolean;
  /**
   * Where the block buffers (and, in the backward, the gradient buffers) come from (default: new Float32Array).
   * Forward-only and training runs hand out arrays in the kernels' memory (backend.allocF32) so the kernels read
   * and write them in place instead of copying them in and out of every call.
   */
  alloc?: (n: number) => Float32Array;
}

/** Activations of one block for a batch of N rows (llm.c style: every buffer named once). */
export interface LayerActs {
  x: Float32Array;     // [N, C] block input (residual stream)
  xn: Float32Array;    // [N, C] attn_norm output
  rstd1: Float32Array; // [N]
  q: Float32Array;     // [N, H·D] after RoPE
  k: Float32Array;     // [N, Hkv·D] after RoPE
  v: Float32Array;     // [N, Hkv·D]
  att: Float32Array;   // [N, H·D] attention output before attn_output
  x2: Float32Array;    // [N, C] residual after attention
  xn2: Float32Array;   // [N, C] ffn_norm output
  rstd2: Float32Array; // [N]
  gu: Float32Array;    // gate and up: phi3 [N, 2F] (row = gate | up); llama/qwen2/deci planar [2, N, F] (gate rows, then up rows)
  h: Float32Array;     // [N, F] silu(gate)·up (· mask)
  // (with run.ffnRows = R < N, gu and h hold only the last chunk: [R, 2F] / [2, R, F] and [R, F]; both buffers are
  // sized for the widest layer, F is this layer's width)
  out: Float32Array;   // [N, C] block output
  qkv?: Float32Array;  // [N, H·D + 2·Hkv·D] phi3's fused q|k|v output before the split
  /** LoRA intermediates x·Aᵀ [N, r] per Linear name. */
  lu: Map<string, Float32Array>;
  /** LoRA dropout per Linear name: the branch's masked input and its mask (training passes with dropout only). */
  ld?: Map<string, LoraDropout>;
}

function lin(run: LayerRun, acts: LayerActs, w: Linear, x: Float32Array, y: Float32Array, sameInputAsLast = false): void {
  const pair = run.lora?.on(w) ?? null;
  let u: Float32Array | undefined, drop: LoraDropout | undefined;
  if (pair) {
    u = new Float32Array(run.N * pair.r);
    acts.lu.set(w.name, u);
    if (run.loraDropoutSeed !== undefined && run.lora!.dropout > 0) {
      drop = loraDropout(x, run.N * w.cols, run.lora!.dropout, run.loraDropoutSeed, w.name);
      (acts.ld ??= new Map()).set(w.name, drop);
    }
  }
  linearForward(run.model.backend, w, x, run.N, y, pair, u, sameInputAsLast, drop);
}

function linBack(run: LayerRun, acts: LayerActs, w: Linear, x: Float32Array, dy: Float32Array, dx: Float32Array): void {
  const pair = run.lora?.on(w) ?? null;
  linearBackward(run.model.backend, w, x, dy, run.N, dx, pair, pair ? acts.lu.get(w.name) : undefined, pair ? acts.ld?.get(w.name) : undefined);
}

/**
 * One transformer block forward: out = x2 + FFN(norm(x2)), x2 = x + Attn(norm(x)). A layer of FFN width 0 (deci)
 * passes x through unchanged, attention included: llama.cpp's deci graph skips the rest of such a layer, so its
 * attention output is dropped (docs/dev/FORMATS.md), and the engine computes what llama.cpp computes.
 */
export function layerForward(run: LayerRun, il: number, L: LayerWeights, x: Float32Array, reuse?: LayerActs): LayerActs {
  const { model, N } = run;
  const s = model.spec;
  const C = s.nEmbd, H = s.nHead, Hkv = s.nHeadKv, D = s.headDim, F = model.ffnWidths[il], Fmax = model.maxFfnWidth;
  const Cq = H * D, Ckv = Hkv * D;
  const R = run.ffnRows && run.ffnRows < N ? run.ffnRows : N;
  // `reuse`: buffers of an earlier block that nobody needs any more (forward-only runs): every one is overwritten
  const f32 = run.alloc ?? ((n: number) => new Float32Array(n));
  const a: LayerActs = reuse ? { ...reuse, x, lu: new Map(), ld: undefined } : {
    x, xn: f32(N * C), rstd1: new Float32Array(N), q: f32(N * Cq),
    k: f32(N * Ckv), v: f32(N * Ckv), att: run.forwardOnly ? new Float32Array(0) : f32(N * Cq),
    x2: f32(N * C), xn2: f32(N * C), rstd2: new Float32Array(N), gu: f32(R * 2 * Fmax),
    h: f32(R * Fmax), out: f32(N * C), lu: new Map(),
  };
  if (F === 0) {
    a.out.set(x.subarray(0, N * C));
    return a;
  }
  const be = model.backend;
  be.rmsnorm(a.xn, a.rstd1, x, L.attnNorm.data, N, C, s.normEps);
  if (L.wqkv) {
    const qkv = a.qkv ??= f32(N * (Cq + 2 * Ckv));
    lin(run, a, L.wqkv, a.xn, qkv);
    splitRows(qkv, N, [a.q, a.k, a.v], [Cq, Ckv, Ckv]);
  } else {
    lin(run, a, L.wq!, a.xn, a.q);
    lin(run, a, L.wk!, a.xn, a.k, true);
    lin(run, a, L.wv!, a.xn, a.v, true);
  }
  const table = model.ropeTable(maxLen(run.spans)), half = table.dims >> 1;
  be.rope(a.q, N, H, D, run.pos, table.cos, table.sin, half, s.ropeType);
  be.rope(a.k, N, Hkv, D, run.pos, table.cos, table.sin, half, s.ropeType);
  if (run.forwardOnly) a.att = a.q; // attention writes over the queries it has read
  attentionForward(be, a.att, a.q, a.k, a.v, run.spans, H, Hkv, D);
  lin(run, a, L.wo, a.att, a.x2);
  be.add(a.x2, x, N * C);

  be.rmsnorm(a.xn2, a.rstd2, a.x2, L.ffnNorm!.data, N, C, s.normEps);
  if (R < N) {
    for (let r0 = 0; r0 < N; r0 += R) ffnChunk(run, il, L, a, r0, Math.min(R, N - r0));
    be.add(a.out, a.x2, N * C);
    return a;
  }
  const [uOff, stride] = L.wGate ? [N * F, F] : [F, 2 * F];
  if (L.wGate) {
    lin(run, a, L.wGate, a.xn2, a.gu.subarray(0, N * F));
    lin(run, a, L.wUp!, a.xn2, a.gu.subarray(N * F, 2 * N * F), true);
  } else {
    lin(run, a, L.wUp!, a.xn2, a.gu.subarray(0, 2 * N * F));
  }
  const h = a.h.subarray(0, N * F);
  be.swiglu(h, a.gu, 0, a.gu, uOff, stride, N, F, run.ffnMask?.[il] ?? null);
  lin(run, a, L.wDown!, h, a.out);
  be.add(a.out, a.x2, N * C);
  return a;
}

/**
 * FFN of rows [r0, r0 + m) (forward only): a.out rows = down(silu(gate(xn2))·up(xn2)), through the chunk-sized
 * a.gu ([2, m, F] planar or [m, 2F] fused) and a.h [m, F]. LoRA intermediates are not kept (no backward).
 */
function ffnChunk(run: LayerRun, il: number, L: LayerWeights, a: LayerActs, r0: number, m: number): void {
  const be = run.model.backend;
  const C = run.model.spec.nEmbd, F = run.model.ffnWidths[il];
  const on = (w: Linear) => run.lora?.on(w) ?? null;
  const xs = a.xn2.subarray(r0 * C, (r0 + m) * C);
  const [uOff, stride] = L.wGate ? [m * F, F] : [F, 2 * F];
  if (L.wGate) {
    linearForward(be, L.wGate, xs, m, a.gu.subarray(0, m * F), on(L.wGate));
    linearForward(be, L.wUp!, xs, m, a.gu.subarray(m * F, 2 * m * F), on(L.wUp!), undefined, true);
  } else {
    linearForward(be, L.wUp!, xs, m, a.gu.subarray(0, 2 * m * F), on(L.wUp!));
  }
  const h = a.h.subarray(0, m * F);
  be.swiglu(h, a.gu, 0, a.gu, uOff, stride, m, F, run.ffnMask?.[il] ?? null);
  linearForward(be, L.wDown!, h, m, a.out.subarray(r0 * C, (r0 + m) * C), on(L.wDown!));
}

/**
 * Backward of one block. dout: [N, C] gradient w.r.t. the block output; returns the gradient w.r.t. its input x.
 * Accumulates weight gradients (where allocated), LoRA gradients and FFN mask gradients.
 */
export function layerBackward(run: LayerRun, il: number, L: LayerWeights, a: LayerActs, dout: Float32Array): Float32Array {
  const { model, N } = run;
  const s = model.spec;
  const C = s.nEmbd, H = s.nHead, Hkv = s.nHeadKv, D = s.headDim, F = model.ffnWidths[il];
  const Cq = H * D, Ckv = Hkv * D;
  const be = model.backend;
  // gradient buffers: in the kernels' memory for training runs (run.alloc), zeroed
  const f32 = run.alloc ?? ((n: number) => new Float32Array(n));
  const copy = (src: Float32Array): Float32Array => { const c = f32(N * C); c.set(src.subarray(0, N * C)); return c; };
  // a layer without FFN passes its input through (layerForward): so does the gradient
  if (F === 0) return copy(dout);
  // FFN branch: out = x2 + down(h)
  const dx2 = copy(dout);
  const dh = f32(N * F);
  linBack(run, a, L.wDown!, a.h.subarray(0, N * F), dout, dh);
  const dgu = f32(N * 2 * F); // same layout as a.gu
  const [uOff, stride] = L.wGate ? [N * F, F] : [F, 2 * F];
  be.swigluBackward(dgu, dh, a.gu, uOff, stride, N, F, run.ffnMask?.[il] ?? null, run.ffnMaskGrad?.[il] ?? null);
  const dxn2 = f32(N * C);
  if (L.wGate) {
    linBack(run, a, L.wGate, a.xn2, dgu.subarray(0, N * F), dxn2);
    linBack(run, a, L.wUp!, a.xn2, dgu.subarray(N * F), dxn2);
  } else {
    linBack(run, a, L.wUp!, a.xn2, dgu, dxn2);
  }
  rmsnormBackward(dx2, L.ffnNorm!.grad ?? null, dxn2, a.x2, L.ffnNorm!.data, a.rstd2, N, C);

  // attention branch: x2 = x + o(att)
  const dx = copy(dx2);
  const datt = f32(N * Cq);
  linBack(run, a, L.wo, a.att, dx2, datt);
  const dq = f32(N * Cq), dk = f32(N * Ckv), dv = f32(N * Ckv);
  attentionBackward(be, dq, dk, dv, datt, a.q, a.k, a.v, run.spans, H, Hkv, D);
  const table = model.ropeTable(maxLen(run.spans)), half = table.dims >> 1;
  be.rope(dq, N, H, D, run.pos, table.cos, table.sin, half, s.ropeType, true);
  be.rope(dk, N, Hkv, D, run.pos, table.cos, table.sin, half, s.ropeType, true);
  const dxn = f32(N * C);
  if (L.wqkv) {
    const dqkv = f32(N * (Cq + 2 * Ckv));
    joinRows(dqkv, N, [dq, dk, dv], [Cq, Ckv, Ckv]);
    linBack(run, a, L.wqkv, a.xn, dqkv, dxn);
  } else {
    linBack(run, a, L.wq!, a.xn, dq, dxn);
    linBack(run, a, L.wk!, a.xn, dk, dxn);
    linBack(run, a, L.wv!, a.xn, dv, dxn);
  }
  rmsnormBackward(dx, L.attnNorm.grad ?? null, dxn, a.x, L.attnNorm.data, a.rstd1, N, C);
  return dx;
}

function maxLen(spans: SeqSpan[]): number {
  let m = 1;
  for (const sp of spans) if (sp.len > m) m = sp.len;
  return m;
}

/** src [N, Σw] → parts [N, w_i] (column blocks of each row). */
function splitRows(src: Float32Array, N: number, parts: Float32Array[], widths: number[]): void {
  const W = widths.reduce((x, y) => x + y, 0);
  for (let t = 0; t < N; t++) {
    let o = t * W;
    for (let p = 0; p < parts.length; p++) {
      parts[p].set(src.subarray(o, o + widths[p]), t * widths[p]);
      o += widths[p];
    }
  }
}

/** parts [N, w_i] → dst [N, Σw]. */
function joinRows(dst: Float32Array, N: number, parts: Float32Array[], widths: number[]): void {
  const W = widths.reduce((x, y) => x + y, 0);
  for (let t = 0; t < N; t++) {
    let o = t * W;
    for (let p = 0; p < parts.length; p++) {
      dst.set(parts[p].subarray(t * widths[p], (t + 1) * widths[p]), o);
      o += widths[p];
    }
  }
}
