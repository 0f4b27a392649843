/**
 * The tensor layout of each transformer architecture the engine builds, in one table (docs/dev/FORMATS.md): which
 * tensors a layer has, their GGUF names and ne shapes. The engine loader, the random-model builder, the test-model
 * writer, saveModelGguf and validation all read it, so a layout is written down once.
 */

export type LayoutArch = 'llama' | 'phi3' | 'qwen2' | 'deci';

export interface ArchLayout {
  arch: LayoutArch;
  /** llama.cpp's rope type: NORM rotates pairs (2i, 2i+1), NEOX pairs (i, i + d/2) */
  ropeType: 'norm' | 'neox';
  /** one attn_qkv [C, Cq + 2·Ckv] (rows q | k | v) instead of attn_q, attn_k, attn_v */
  fusedQkv: boolean;
  /** one ffn_up [C, 2F] (rows gate | up) instead of ffn_gate and ffn_up */
  fusedGateUp: boolean;
  /** attn_q, attn_k and attn_v carry biases */
  qkvBias: boolean;
  /**
   * feed_forward_length may be an array with one width per layer, and a layer may have width 0 (no ffn_norm and no
   * FFN tensors). The other architectures build every layer with layer 0's width.
   */
  perLayerFfn: boolean;
}

export const ARCH_LAYOUTS: Readonly<Record<LayoutArch, ArchLayout>> = {
  llama: { arch: 'llama', ropeType: 'norm', fusedQkv: false, fusedGateUp: false, qkvBias: false, perLayerFfn: false },
  phi3: { arch: 'phi3', ropeType: 'neox', fusedQkv: true, fusedGateUp: true, qkvBias: false, perLayerFfn: false },
  qwen2: { arch: 'qwen2', ropeType: 'neox', fusedQkv: false, fusedGateUp: false, qkvBias: true, perLayerFfn: false },
  // llama.cpp's DeciLM / Nemotron-NAS: llama's tensors, but a FFN width per layer
  deci: { arch: 'deci', ropeType: 'norm', fusedQkv: false, fusedGateUp: false, qkvBias: false, perLayerFfn: true },
};

export const LAYOUT_ARCHS = Object.keys(ARCH_LAYOUTS) as LayoutArch[];

/** The layout of an architecture, or undefined when the engine does not build it. */
export function archLayout(arch: string): ArchLayout | undefined {
  return Object.hasOwn(ARCH_LAYOUTS, arch) ? ARCH_LAYOUTS[arch as LayoutArch] : undefined;
}

/**
 * Rotary frequency factors, one F32 per rotary pair, dividing that pair's angle: how llama.cpp's converter stores
 * Llama 3.1/3.2's long-context rope scaling (llama and deci). Optional; the same for every layer.
 */
export const ROPE_FREQS_TENSOR = 'rope_freqs.weight';

/** Where a tensor goes in the engine's model (LayerWeights fields for blocks, model fields for the rest). */
export type TensorSlotName =
  | 'tokenEmbd' | 'outputNorm' | 'output'
  | 'attnNorm' | 'wq' | 'wk' | 'wv' | 'wqkv' | 'wo' | 'ffnNorm' | 'wGate' | 'wUp' | 'wDown';

export interface TensorSlot {
  /** GGUF tensor name without '.weight' (e.g. 'blk.0.attn_q') */
  base: string;
  slot: TensorSlotName;
  /** 'norm': an F32 vector [n]; 'matrix': a 2-D weight */
  kind: 'norm' | 'matrix';
  /** norm: n; matrix: input width (ne[0]) */
  cols: number;
  /** matrix: output width (ne[1]); norm: 1 */
  rows: number;
  /** the matrix has a `<base>.bias` F32 vector [rows] */
  bias: boolean;
  /** block index, or -1 for token_embd, output_norm and output */
  layer: number;
}

/** The sizes a layout needs. */
export interface LayoutDims {
  nEmbd: number;
  nVocab: number;
  nHead: number;
  nHeadKv: number;
  headDim: number;
  /** FFN width of each layer (ffnWidths) */
  ffn: readonly number[];
  tiedOutput: boolean;
}

/** One FFN width per layer from feed_forward_length (a number, or an array with one entry per layer). */
export function ffnWidths(nFf: number | readonly number[], nLayer: number): number[] {
  return Array.isArray(nFf) ? nFf.map(Number) : new Array<number>(nLayer).fill(nFf as number);
}

/**
 * The tensors of block il, in the order our writers write them. `fusedQkv` overrides the layout's: llama.cpp
 * accepts either one attn_qkv or attn_q/k/v in every architecture here, so a reader follows what the file has.
 */
export function layerTensors(layout: ArchLayout, d: LayoutDims, il: number, fusedQkv = layout.fusedQkv): TensorSlot[] {
  const C = d.nEmbd, Cq = d.nHead * d.headDim, Ckv = d.nHeadKv * d.headDim, F = d.ffn[il];
  const p = `blk.${il}.`;
  const norm = (name: string, slot: TensorSlotName): TensorSlot => ({ base: p + name, slot, kind: 'norm', cols: C, rows: 1, bias: false, layer: il });
  const mat = (name: string, slot: TensorSlotName, cols: number, rows: number, bias = false): TensorSlot =>
    ({ base: p + name, slot, kind: 'matrix', cols, rows, bias, layer: il });
  const out: TensorSlot[] = [norm('attn_norm', 'attnNorm')];
  if (fusedQkv) out.push(mat('attn_qkv', 'wqkv', C, Cq + 2 * Ckv));
  else {
    out.push(mat('attn_q', 'wq', C, Cq, layout.qkvBias), mat('attn_k', 'wk', C, Ckv, layout.qkvBias), mat('attn_v', 'wv', C, Ckv, layout.qkvBias));
  }
  out.push(mat('attn_output', 'wo', Cq, C));
  if (F > 0) {
    out.push(norm('ffn_norm', 'ffnNorm'));
    if (layout.fusedGateUp) out.push(mat('ffn_up', 'wUp', C, 2 * F));
    else out.push(mat('ffn_gate', 'wGate', C, F), mat('ffn_up', 'wUp', C, F));
    out.push(mat('ffn_down', 'wDown', F, C));
  }
  return out;
}

/** token_embd, output_norm and (unless tied) output. */
export function globalTensors(d: LayoutDims): TensorSlot[] {
  const t = (base: string, slot: TensorSlotName, kind: 'norm' | 'matrix', rows: number): TensorSlot =>
    ({ base, slot, kind, cols: d.nEmbd, rows, bias: false, layer: -1 });
  const out = [t('token_embd', 'tokenEmbd', 'matrix', d.nVocab), t('output_norm', 'outputNorm', 'norm', 1)];
  if (!d.tiedOutput) out.push(t('output', 'output', 'matrix', d.nVocab));
  return out;
}

/** Every tensor of a model: token_embd, output_norm, output, then each block's. */
export function modelTensors(layout: ArchLayout, d: LayoutDims): TensorSlot[] {
  return [...globalTensors(d), ...d.ffn.flatMap((_, il) => layerTensors(layout, d, il))];
}
