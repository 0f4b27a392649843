import { throwIfAborted } from '../errors.js';
import type { EngineModel } from './EngineModel.js';
import { layerBackward, layerForward, type LayerActs, type LayerRun } from './layer.js';
import type { LoraAdapter } from './LoraAdapter.js';
import type { SeqSpan } from './ops/attention.js';
import { embeddingBackward, embeddingForward } from './ops/embedding.js';
import { headLoss } from './ops/head.js';
import { rmsnormBackward } from './ops/rmsnorm.js';
import { KernelArena } from './KernelArena.js';
import { EngineModelError } from './EngineModelError.js';

/** Several token sequences concatenated into N rows; row t predicts targets[t] (the next token of its sequence). */
export interface TokenBatch {
  tokens: Int32Array;   // [N]
  spans: SeqSpan[];
  pos: Int32Array;      // [N] position inside the sequence
  targets: Int32Array;  // [N] next token, −1 on each sequence's last row
}

/** Build a batch from token sequences (each at least 1 token). */
export function makeBatch(seqs: ArrayLike<number>[]): TokenBatch {
  const N = seqs.reduce((n, s) => n + s.length, 0);
  const tokens = new Int32Array(N), pos = new Int32Array(N), targets = new Int32Array(N).fill(-1);
  const spans: SeqSpan[] = [];
  let o = 0;
  for (const s of seqs) {
    if (s.length === 0) throw new EngineModelError('ENGINE_BAD_INPUT', 'A token sequence is empty; every sequence needs at least one token.');
    spans.push({ start: o, len: s.length });
    for (let i = 0; i < s.length; i++) {
      tokens[o + i] = s[i];
      pos[o + i] = i;
      if (i + 1 < s.length) targets[o + i] = s[i + 1];
    }
    o += s.length;
  }
  return { tokens, spans, pos, targets };
}

export interface ForwardOptions {
  /** LoRA adapters (used only while `lora.enabled`). */
  lora?: LoraAdapter | null;
  /**
   * A training pass (lossAndGrad) with the adapter's LoRA dropout: the seed of this pass's masks. The same seed
   * gives the same masks (the recomputed blocks of the backward, a resumed run). Unset, or a forward-only pass: no
   * dropout.
   */
  loraDropoutSeed?: number;
  /** Per-layer FFN neuron gates [F] (hard 0/1 masks from scores), null = all on. */
  ffnMask?: (Float32Array | null)[] | null;
  /** Per-layer accumulators [F] receiving the mask-score gradient (straight-through) during the backward. */
  ffnMaskGrad?: (Float32Array | null)[] | null;
  /** Called with each layer's FFN activations h = silu(gate)·up·mask, [N, F] with F that layer's width (pruning
   *  statistics; empty for a layer without FFN). The buffer is reused by the next layer: copy what you keep. */
  captureFfn?: (layer: number, h: Float32Array, N: number) => void;
  /**
   * true: keep only each block's input and recompute the block in the backward (small memory, one more forward);
   * false: keep every block's activations. 'auto' (default): keep them when all blocks' activations take at most
   * KEEP_ACTIVATION_BYTES, recompute otherwise (a long batch on a large model).
   */
  recompute?: boolean | 'auto';
  signal?: AbortSignal;
  /** Fraction of the forward (and backward) done, in [0, 1]. */
  onProgress?: (fraction: number) => void;
}

/** What the backward needs from a forward. */
export interface ForwardState {
  batch: TokenBatch;
  run: LayerRun;
  inputs: Float32Array[];        // block inputs [N, C], one per layer
  acts: (LayerActs | null)[];    // kept activations (when not recomputed)
  xf: Float32Array;              // [N, C] residual after the last block
  xn: Float32Array;              // [N, C] output_norm output
  rstd: Float32Array;            // [N]
  /** Training passes: where the arrays live (the kernels' memory), and each kept block's arrays, freed as the
   *  backward passes the block. */
  arena?: KernelArena;
  kept?: Float32Array[][];
}

/** recompute 'auto' keeps every block's activations up to this size (in the kernels' memory, next to the weights). */
export const KEEP_ACTIVATION_BYTES = 256 * 2 ** 20;

/** Bytes of one training forward's block activations for N rows, all blocks (LayerActs, widest FFN). */
function activationBytes(model: EngineModel, N: number): number {
  const s = model.spec;
  const C = s.nEmbd, Cq = s.nHead * s.headDim, Ckv = s.nHeadKv * s.headDim, F = model.maxFfnWidth;
  const fusedQkv = model.layers.some((L) => L.wqkv) ? Cq + 2 * Ckv : 0;
  return 4 * N * (4 * C + 2 * Cq + 2 * Ckv + 3 * F + fusedQkv) * model.layers.length;
}

/** Rows per FFN chunk in forward-only runs: gate/up/h shrink from [N, 3F] to [128, 3F]; still enough rows per
 *  matmul call for the kernels' tiles and threads. */
const FFN_ROWS = 128;

/**
 * Forward through embedding, blocks and output_norm (the head is applied by headLoss). `kernelArrays` (forward
 * only): the activations are allocated in the kernels' memory and listed there; the caller frees them
 * (backend.freeF32) once it is done with the returned state.
 */
export function modelForward(model: EngineModel, batch: TokenBatch, opts: ForwardOptions = {}, forBackward = false,
  kernelArrays?: Float32Array[], arena?: KernelArena): ForwardState {
  const N = batch.tokens.length;
  const C = model.spec.nEmbd;
  const be = model.backend;
  const training = forBackward ? arena : undefined;
  const alloc = training ? training.alloc : kernelArrays && !forBackward
    ? (n: number): Float32Array => { const a = be.allocF32(n); kernelArrays.push(a); return a; }
    : undefined;
  const run: LayerRun = { model, spans: batch.spans, pos: batch.pos, N, lora: opts.lora ?? null,
    loraDropoutSeed: forBackward ? opts.loraDropoutSeed : undefined,
    ffnMask: opts.ffnMask ?? null, ffnMaskGrad: opts.ffnMaskGrad ?? null,
    // forward only, nobody reads h: the FFN in row chunks (its [N, 3F] buffers are the biggest activations)
    ffnRows: forBackward || opts.captureFfn ? undefined : FFN_ROWS, forwardOnly: !forBackward, alloc };
  const recompute = opts.recompute === 'auto' || opts.recompute === undefined
    ? activationBytes(model, N) > KEEP_ACTIVATION_BYTES : opts.recompute;
  const kept: Float32Array[][] = [];
  const total = forBackward ? 2 * model.layers.length : model.layers.length;
  let x: Float32Array = alloc ? alloc(N * C) : new Float32Array(N * C);
  embeddingForward(x, batch.tokens, model.tokenEmbd);
  const inputs: Float32Array[] = [];
  const acts: (LayerActs | null)[] = [];
  // forward-only: one set of block buffers reused by every block; only the residual stream alternates between
  // two buffers (block l reads block l−1's `out` and writes into block l−1's input)
  let prev: LayerActs | undefined;
  for (let il = 0; il < model.layers.length; il++) {
    throwIfAborted(opts.signal);
    const reuse = !forBackward && prev ? { ...prev, out: prev.x } : undefined;
    training?.open();
    const a = layerForward(run, il, model.layers[il], x, reuse);
    opts.captureFfn?.(il, a.h.subarray(0, N * model.ffnWidths[il]), N);
    if (forBackward) {
      inputs.push(x);
      acts.push(recompute ? null : a);
      // recomputed in the backward: only the block output (the next block's input) stays
      if (recompute) training?.close([a.out]);
      else if (training) kept[il] = training.detach();
    } else prev = a;
    x = a.out;
    opts.onProgress?.((il + 1) / total);
  }
  // forward-only: the last block's attn_norm buffer is free again
  const xn = !forBackward && prev ? prev.xn : alloc ? alloc(N * C) : new Float32Array(N * C), rstd = new Float32Array(N);
  be.rmsnorm(xn, rstd, x, model.outputNorm.data, N, C, model.spec.normEps);
  return { batch, run, inputs, acts, xf: x, xn, rstd, arena: training, kept };
}

/** Backward from dxn [N, C] (gradient w.r.t. output_norm's output) to every trainable array. */
export function modelBackward(model: EngineModel, st: ForwardState, dxn: Float32Array, opts: ForwardOptions = {}): void {
  const { N } = st.run;
  const C = model.spec.nEmbd;
  const nl = model.layers.length;
  const arena = st.arena;
  let dx: Float32Array = arena ? arena.alloc(N * C) : new Float32Array(N * C);
  rmsnormBackward(dx, model.outputNorm.grad ?? null, dxn, st.xf, model.outputNorm.data, st.rstd, N, C);
  for (let il = nl - 1; il >= 0; il--) {
    throwIfAborted(opts.signal);
    arena?.open();
    const a = st.acts[il] ?? layerForward(st.run, il, model.layers[il], st.inputs[il]);
    const dIn = layerBackward(st.run, il, model.layers[il], a, dx);
    // free as we go: the block's (recomputed or kept) activations, its gradient buffers, the gradient it read
    arena?.close([dIn]);
    arena?.release([dx, ...(st.kept?.[il] ?? [])]);
    dx = dIn;
    st.acts[il] = null;
    opts.onProgress?.((2 * nl - il) / (2 * nl));
  }
  embeddingBackward(dx, st.batch.tokens, model.tokenEmbd);
}

/** log p(next token) for every row of the batch ([N], NaN on each sequence's last row). No gradients. */
export function batchLogprobs(model: EngineModel, batch: TokenBatch, opts: ForwardOptions = {}): Float32Array {
  const kernelArrays: Float32Array[] = [];
  try {
    const st = modelForward(model, batch, opts, false, kernelArrays);
    const logp = new Float32Array(batch.tokens.length);
    headLoss(model.backend, model.output, st.xn, batch.tokens.length, batch.targets, null, logp, null);
    return logp;
  } finally {
    for (const a of kernelArrays) model.backend.freeF32(a);
  }
}

/**
 * What to minimise, as a function of the per-row log-probs: either fixed weights (loss = −Σ w_t·logp_t, e.g.
 * masked NLL) or a function returning the loss and dloss/dlogp per row (DPO, IPO on sequence sums).
 */
export type Objective =
  | { weights: Float32Array }
  | { fn: (logp: Float32Array) => { loss: number; dlogp: Float32Array } };

/**
 * Forward + backward: accumulates gradients into every trainable array (model weights with gradients, LoRA
 * A/B, mask-score accumulators). Returns the loss and the per-row log-probs of the forward.
 */
export function lossAndGrad(model: EngineModel, batch: TokenBatch, objective: Objective, opts: ForwardOptions = {}):
  { loss: number; logp: Float32Array } {
  const arena = new KernelArena(model.backend);
  try {
    return lossAndGradIn(arena, model, batch, objective, opts);
  } finally {
    arena.dispose();
  }
}

function lossAndGradIn(arena: KernelArena, model: EngineModel, batch: TokenBatch, objective: Objective, opts: ForwardOptions):
  { loss: number; logp: Float32Array } {
  const N = batch.tokens.length;
  const st = modelForward(model, batch, opts, true, undefined, arena);
  const logp = new Float32Array(N);
  let weights: Float32Array;
  let loss: number | undefined;
  if ('weights' in objective) {
    weights = objective.weights;
  } else {
    headLoss(model.backend, model.output, st.xn, N, batch.targets, null, logp, null);
    const r = objective.fn(logp);
    loss = r.loss;
    weights = new Float32Array(N);
    for (let t = 0; t < N; t++) weights[t] = -(r.dlogp[t] || 0);
  }
  const dxn = new Float32Array(N * model.spec.nEmbd);
  const l = headLoss(model.backend, model.output, st.xn, N, batch.targets, weights, logp, dxn);
  loss ??= l;
  modelBackward(model, st, dxn, opts);
  return { loss: loss!, logp };
}
