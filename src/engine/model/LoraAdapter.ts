import type { EngineModel, Param } from './EngineModel.js';
import type { Linear, LoraPair } from './ops/linear.js';
import { Rng } from './random.js';
import { EngineModelError } from './EngineModelError.js';

/** Which projections may carry an adapter (GGUF tensor name suffixes). */
export type LoraTarget = 'attn_q' | 'attn_k' | 'attn_v' | 'attn_qkv' | 'attn_output' | 'ffn_gate' | 'ffn_up' | 'ffn_down';

export interface LoraOptions {
  r: number;
  alpha: number;
  targets: LoraTarget[];
  seed?: number;
  /** LoRA dropout probability on the branch's input while training (PEFT's lora_dropout); default 0. */
  dropout?: number;
}

/**
 * LoRA adapters on a model's projections: W' = W + (alpha/r)·B·A, A [r, in], B [out, r], F32 and trainable;
 * the base stays frozen in its stored type. `enabled = false` gives the base model itself (Hydra reference:
 * no second copy). Keys are base tensor names without ".weight" (e.g. "blk.0.attn_q").
 */
export class LoraAdapter {
  enabled = true;
  /**
   * PEFT's lora_dropout: the probability of zeroing an element of the LoRA branch's input in a training pass (the
   * survivors scaled by 1/(1−p)); applied only where a pass asks for it (ForwardOptions.loraDropoutSeed), never when
   * scoring. In [0, 1).
   */
  dropout = 0;
  readonly pairs = new Map<string, LoraPair>();

  constructor(readonly r: number, readonly alpha: number) {}

  /** A (uniform ±1/√in, as PEFT) and B = 0, so a fresh adapter leaves the model unchanged. */
  static create(model: EngineModel, opts: LoraOptions): LoraAdapter {
    const ad = new LoraAdapter(opts.r, opts.alpha);
    if (opts.dropout !== undefined) {
      if (!(opts.dropout >= 0 && opts.dropout < 1)) throw new EngineModelError('ENGINE_BAD_INPUT', `LoRA dropout must be in [0, 1), not ${opts.dropout}.`);
      ad.dropout = opts.dropout;
    }
    const rng = new Rng(opts.seed ?? 1);
    const want = new Set<string>(opts.targets);
    for (const w of model.linears()) {
      const suffix = w.name.split('.').pop()!;
      if (!w.name.startsWith('blk.') || !want.has(suffix)) continue;
      const a = rng.fillUniform(new Float32Array(opts.r * w.cols), -1 / Math.sqrt(w.cols), 1 / Math.sqrt(w.cols));
      ad.add(w, a, new Float32Array(w.rows * opts.r));
    }
    return ad;
  }

  /** Attach given A [r, cols] and B [rows, r] to a Linear (loading a saved adapter, tests). */
  add(w: Linear, a: Float32Array, b: Float32Array): LoraPair {
    if (a.length !== this.r * w.cols || b.length !== w.rows * this.r) {
      throw new EngineModelError('ENGINE_BAD_TENSOR', `LoRA shapes for ${w.name} do not match r=${this.r}, ${w.rows}×${w.cols}`);
    }
    const pair: LoraPair = { r: this.r, scale: this.alpha / this.r, a, b,
      gradA: new Float32Array(a.length), gradB: new Float32Array(b.length) };
    this.pairs.set(w.name, pair);
    return pair;
  }

  /** The adapter on a Linear, or null when there is none or the adapter is switched off. */
  on(w: Linear): LoraPair | null {
    return this.enabled ? (this.pairs.get(w.name) ?? null) : null;
  }

  parameters(): Param[] {
    const out: Param[] = [];
    for (const [name, p] of this.pairs) {
      out.push({ name: `${name}.lora_a`, data: p.a, grad: p.gradA! });
      out.push({ name: `${name}.lora_b`, data: p.b, grad: p.gradB! });
    }
    return out;
  }

  zeroGrad(): void {
    for (const p of this.pairs.values()) { p.gradA!.fill(0); p.gradB!.fill(0); }
  }
}
