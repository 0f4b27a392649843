import { archLayout, globalTensors, layerTensors, LAYOUT_ARCHS, type LayoutArch, type LayoutDims, type TensorSlot } from '../gguf/tensorLayout.js';
import { createReferenceBackend, type KernelBackend } from '../kernels/index.js';
import { EngineModel, type EngineSpec, type LayerWeights, type NormWeight } from './EngineModel.js';
import type { Linear } from './ops/linear.js';
import { Rng } from './random.js';
import { EngineModelError } from './EngineModelError.js';

export interface RandomModelConfig {
  /** Tensor layout (tensorLayout.ts): llama (default), phi3 (fused attn_qkv and gate|up), qwen2 (q/k/v biases), deci. */
  architecture?: LayoutArch;
  nVocab: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  /** Default nHead (no GQA). */
  nHeadKv?: number;
  /** FFN width; deci: may be one width per layer (0 = a layer without FFN). */
  nFf: number | number[];
  contextLength?: number;
  /** Default 10000. */
  ropeBase?: number;
  /** Default 1e-5. */
  normEps?: number;
  /** Output head reuses token_embd. Default false. */
  tiedOutput?: boolean;
  /** Std of the normal init (default 0.02); attn_output/ffn_down get std/√(2·nLayer) (GPT-2 style). */
  initStd?: number;
  seed?: number;
}

/**
 * A fresh model with every weight dense F32 and randomly initialised (norms 1, biases 0), ready for
 * `enableFullTraining()`. Save it with `saveModelGguf`.
 */
export function createRandomModel(cfg: RandomModelConfig, backend: KernelBackend = createReferenceBackend()): EngineModel {
  const arch = cfg.architecture ?? 'llama';
  const layout = archLayout(arch);
  if (!layout) throw new EngineModelError('ENGINE_UNSUPPORTED_ARCH', `architecture must be one of ${LAYOUT_ARCHS.join(', ')}, not '${String(arch)}'`);
  const C = cfg.nEmbd, H = cfg.nHead, Hkv = cfg.nHeadKv ?? cfg.nHead, V = cfg.nVocab;
  if (C % H !== 0 || H % Hkv !== 0) throw new EngineModelError('ENGINE_BAD_CONFIG', `nEmbd ${C} must divide into ${H} heads and ${H} into ${Hkv} KV heads`);
  const D = C / H;
  if (D % 2 !== 0) throw new EngineModelError('ENGINE_BAD_CONFIG', `head size ${D} must be even for RoPE`);
  const ffn = Array.isArray(cfg.nFf) ? [...cfg.nFf] : new Array<number>(cfg.nLayer).fill(cfg.nFf);
  if (ffn.length !== cfg.nLayer) throw new EngineModelError('ENGINE_BAD_CONFIG', `nFf has ${ffn.length} widths for ${cfg.nLayer} layers`);
  if (!layout.perLayerFfn && ffn.some((f) => f !== ffn[0])) throw new EngineModelError('ENGINE_BAD_CONFIG', `${arch} layers all have the same FFN width; only deci has one per layer`);
  if (ffn.some((f) => !(Number.isInteger(f) && f >= (layout.perLayerFfn ? 0 : 1)))) throw new EngineModelError('ENGINE_BAD_CONFIG', `FFN widths must be positive integers (deci: or 0), not ${ffn.join(', ')}`);
  const spec: EngineSpec = {
    architecture: arch, nEmbd: C, nLayer: cfg.nLayer, nHead: H, nHeadKv: Hkv, nFf: Array.isArray(cfg.nFf) ? ffn : cfg.nFf, nVocab: V,
    contextLength: cfg.contextLength ?? 512, ropeType: layout.ropeType, ropeBase: cfg.ropeBase ?? 10000,
    ropeDims: D, normEps: cfg.normEps ?? 1e-5, tiedOutput: cfg.tiedOutput ?? false, headDim: D,
  };
  const rng = new Rng(cfg.seed ?? 1);
  const std = cfg.initStd ?? 0.02;
  const projStd = std / Math.sqrt(2 * cfg.nLayer);
  const make = (t: TensorSlot): Linear | NormWeight => {
    if (t.kind === 'norm') return { name: t.base, data: new Float32Array(t.cols).fill(1) };
    const s = t.slot === 'wo' || t.slot === 'wDown' ? projStd : std;
    return { name: t.base, rows: t.rows, cols: t.cols, type: 0, data: rng.fillNormal(new Float32Array(t.rows * t.cols), s),
      ...(t.bias ? { bias: new Float32Array(t.rows) } : {}) };
  };
  const dims: LayoutDims = { nEmbd: C, nVocab: V, nHead: H, nHeadKv: Hkv, headDim: D, ffn, tiedOutput: spec.tiedOutput };
  const top = new Map(globalTensors(dims).map((t) => [t.slot, make(t)]));
  const layers: LayerWeights[] = [];
  for (let i = 0; i < cfg.nLayer; i++) {
    const L: Record<string, Linear | NormWeight> = {};
    for (const t of layerTensors(layout, dims, i)) L[t.slot] = make(t);
    layers.push(L as unknown as LayerWeights);
  }
  const tokenEmbd = top.get('tokenEmbd') as Linear;
  const output = spec.tiedOutput ? tokenEmbd : top.get('output') as Linear;
  return new EngineModel(spec, backend, tokenEmbd, layers, top.get('outputNorm') as NormWeight, output);
}
