import { createReferenceBackend, type KernelBackend } from '../kernels/index.js';
import { EngineModel, type EngineSpec, type LayerWeights, type NormWeight } from './EngineModel.js';
import type { Linear } from './ops/linear.js';
import { Rng } from './random.js';
import { EngineModelError } from './EngineModelError.js';

export interface RandomModelConfig {
  /** Tensor layout: llama (default), phi3 (fused attn_qkv and gate|up), qwen2 (q/k/v biases). */
  architecture?: 'llama' | 'phi3' | 'qwen2';
  nVocab: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  /** Default nHead (no GQA). */
  nHeadKv?: number;
  nFf: number;
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
  const C = cfg.nEmbd, H = cfg.nHead, Hkv = cfg.nHeadKv ?? cfg.nHead, F = cfg.nFf, V = cfg.nVocab;
  if (C % H !== 0 || H % Hkv !== 0) throw new EngineModelError('ENGINE_BAD_CONFIG', `nEmbd ${C} must divide into ${H} heads and ${H} into ${Hkv} KV heads`);
  const D = C / H;
  if (D % 2 !== 0) throw new EngineModelError('ENGINE_BAD_CONFIG', `head size ${D} must be even for RoPE`);
  const spec: EngineSpec = {
    architecture: arch, nEmbd: C, nLayer: cfg.nLayer, nHead: H, nHeadKv: Hkv, nFf: F, nVocab: V,
    contextLength: cfg.contextLength ?? 512, ropeType: arch === 'llama' ? 'norm' : 'neox', ropeBase: cfg.ropeBase ?? 10000,
    ropeDims: D, normEps: cfg.normEps ?? 1e-5, tiedOutput: cfg.tiedOutput ?? false, headDim: D,
  };
  const rng = new Rng(cfg.seed ?? 1);
  const std = cfg.initStd ?? 0.02;
  const projStd = std / Math.sqrt(2 * cfg.nLayer);
  const lin = (name: string, rows: number, cols: number, s = std, bias = false): Linear => ({
    name, rows, cols, type: 0, data: rng.fillNormal(new Float32Array(rows * cols), s),
    ...(bias ? { bias: new Float32Array(rows) } : {}),
  });
  const norm = (name: string): NormWeight => ({ name, data: new Float32Array(C).fill(1) });
  const Ckv = Hkv * D;
  const layers: LayerWeights[] = [];
  for (let i = 0; i < cfg.nLayer; i++) {
    const p = `blk.${i}.`;
    const L: LayerWeights = {
      attnNorm: norm(`${p}attn_norm`),
      wo: lin(`${p}attn_output`, C, C, projStd),
      ffnNorm: norm(`${p}ffn_norm`),
      wUp: lin(`${p}ffn_up`, arch === 'phi3' ? 2 * F : F, C),
      wDown: lin(`${p}ffn_down`, C, F, projStd),
    };
    if (arch === 'phi3') L.wqkv = lin(`${p}attn_qkv`, C + 2 * Ckv, C);
    else {
      const bias = arch === 'qwen2';
      L.wq = lin(`${p}attn_q`, C, C, std, bias);
      L.wk = lin(`${p}attn_k`, Ckv, C, std, bias);
      L.wv = lin(`${p}attn_v`, Ckv, C, std, bias);
      L.wGate = lin(`${p}ffn_gate`, F, C);
    }
    layers.push(L);
  }
  const tokenEmbd = lin('token_embd', V, C);
  const output = spec.tiedOutput ? tokenEmbd : lin('output', V, C);
  return new EngineModel(spec, backend, tokenEmbd, layers, norm('output_norm'), output);
}
