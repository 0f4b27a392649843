import type { ModelSpec } from '../gguf/ModelSpec.js';
import { ffnWidths } from '../gguf/tensorLayout.js';
import type { KernelBackend } from '../kernels/index.js';
import type { Linear } from './ops/linear.js';
import { ensureRope, type RopeTable } from './ops/rope.js';
import { EngineModelError } from './EngineModelError.js';

/** The fields of ModelSpec the engine reads; a ModelSpec is assignable to it. */
export type EngineSpec = Omit<ModelSpec, 'chatTemplate' | 'tokenizerModel'>;

/** An RMSNorm weight vector (always F32 in GGUF). */
export interface NormWeight { name: string; data: Float32Array; grad?: Float32Array }

/** One named trainable array and its gradient (what optimizers step). */
export interface Param { name: string; data: Float32Array; grad: Float32Array }

/**
 * Weights of one block (the layouts of tensorLayout.ts). llama/qwen2/deci: wq, wk, wv (qwen2 with biases), wGate,
 * wUp. phi3: wqkv fused [C + 2·Ckv, C] and wUp fused [2F, C] (rows [0,F) gate, [F,2F) up), no wGate.
 * A deci layer of FFN width 0 has no ffnNorm, wUp or wDown.
 */
export interface LayerWeights {
  attnNorm: NormWeight;
  wq?: Linear; wk?: Linear; wv?: Linear; wqkv?: Linear;
  wo: Linear;
  ffnNorm?: NormWeight;
  wGate?: Linear; wUp?: Linear; wDown?: Linear;
}

/** A transformer in memory: spec, weights (stored or dense F32) and the backend that computes with them. */
export class EngineModel {
  private rope?: RopeTable;
  /**
   * The rope_freqs tensor (one factor per rotary pair, dividing its angle), when the file has one: Llama 3.1/3.2
   * store their long-context rope scaling this way. Set by loadEngineModel; saveModelGguf writes it back.
   */
  ropeFreqFactors?: Float32Array;
  /**
   * FFN width of each layer: all equal for llama/phi3/qwen2 (llama.cpp builds every layer with layer 0's width);
   * deci may differ per layer, and 0 is a layer without FFN.
   */
  readonly ffnWidths: readonly number[];
  /** The widest layer's FFN width (block buffers are sized for it). */
  readonly maxFfnWidth: number;

  /**
   * The FFN width of a model whose layers all have the same (llama/phi3/qwen2, or deci with equal widths); per-layer
   * code reads ffnWidths. Throws for a deci model with different widths, rather than answer layer 0's.
   */
  get nFf(): number {
    const F = this.ffnWidths[0] ?? 0;
    if (this.ffnWidths.some((f) => f !== F)) {
      throw new EngineModelError('ENGINE_BAD_CONFIG', `This ${this.spec.architecture} model has a different FFN width per layer (${this.ffnWidths.join(', ')}); read ffnWidths.`);
    }
    return F;
  }
  private disposed = false;

  constructor(
    readonly spec: EngineSpec,
    readonly backend: KernelBackend,
    readonly tokenEmbd: Linear,
    readonly layers: LayerWeights[],
    readonly outputNorm: NormWeight,
    /** The output head; the same object as tokenEmbd when the output is tied. */
    readonly output: Linear,
    private readonly onDispose?: () => void,
  ) {
    this.ffnWidths = ffnWidths(spec.nFf, spec.nLayer);
    this.maxFfnWidth = Math.max(0, ...this.ffnWidths);
  }

  /** cos/sin table covering positions [0, maxPos). */
  ropeTable(maxPos: number): RopeTable {
    this.rope = ensureRope(this.rope, this.spec.ropeDims, this.spec.ropeBase, maxPos, this.ropeFreqFactors);
    return this.rope;
  }

  /** Every Linear of the model, with its GGUF tensor name (tied output listed once). */
  linears(): Linear[] {
    const out: Linear[] = [this.tokenEmbd];
    for (const l of this.layers) {
      for (const w of [l.wq, l.wk, l.wv, l.wqkv, l.wo, l.wGate, l.wUp, l.wDown]) if (w) out.push(w);
    }
    if (this.output !== this.tokenEmbd) out.push(this.output);
    return out;
  }

  norms(): NormWeight[] {
    return [...this.layers.flatMap((l) => (l.ffnNorm ? [l.attnNorm, l.ffnNorm] : [l.attnNorm])), this.outputNorm];
  }

  /**
   * Allocate gradients for every weight (full-weight training). Needs dense F32 weights
   * (createRandomModel, or loadEngineModel with `dense: true`). Returns the parameter list for the optimizer.
   */
  enableFullTraining(): Param[] {
    const params: Param[] = [];
    for (const w of this.linears()) {
      if (!w.data) throw new EngineModelError('ENGINE_NOT_DENSE', `Weight ${w.name} is stored quantized; load the model with dense: true to train every weight.`);
      w.grad ??= new Float32Array(w.data.length);
      params.push({ name: `${w.name}.weight`, data: w.data, grad: w.grad });
      if (w.bias) {
        w.biasGrad ??= new Float32Array(w.bias.length);
        params.push({ name: `${w.name}.bias`, data: w.bias, grad: w.biasGrad });
      }
    }
    for (const n of this.norms()) {
      n.grad ??= new Float32Array(n.data.length);
      params.push({ name: `${n.name}.weight`, data: n.data, grad: n.grad });
    }
    return params;
  }

  /** The trained parameters (those with a gradient allocated). */
  trainableParameters(): Param[] {
    const params: Param[] = [];
    for (const w of this.linears()) {
      if (w.data && w.grad) params.push({ name: `${w.name}.weight`, data: w.data, grad: w.grad });
      if (w.bias && w.biasGrad) params.push({ name: `${w.name}.bias`, data: w.bias, grad: w.biasGrad });
    }
    for (const n of this.norms()) if (n.grad) params.push({ name: `${n.name}.weight`, data: n.data, grad: n.grad });
    return params;
  }

  zeroGrad(): void {
    for (const p of this.trainableParameters()) p.grad.fill(0);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const w of this.linears()) if (w.handle) this.backend.freeWeight(w.handle);
    this.onDispose?.();
  }
}
