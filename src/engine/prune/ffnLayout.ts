import { modelSpecFromGguf, type GgufFile, type GgufTensorInfo, type ModelSpec } from '../gguf/index.js';
import { archLayout, ffnWidths } from '../gguf/tensorLayout.js';
import { PruneError } from './PruneError.js';

/** Rows of one tensor that hold one FFN projection: neuron i is row `rowOffset + i`. */
export interface NeuronRows {
  tensor: GgufTensorInfo;
  rowOffset: number;
}

/**
 * Where the neurons of one FFN layer live. Neuron i = row i of the gate and up projections and column i of down.
 * llama, qwen2 and deci keep gate and up apart; phi3 fuses them into one ffn_up (rows [0, F) gate, [F, 2F) up).
 */
export interface FfnLayerTensors {
  layer: number;
  nFf: number;
  gate: NeuronRows;
  up: NeuronRows;
  /** ne [F, C]: neuron i is element i of every row */
  down: GgufTensorInfo;
  /** [C], when the file has one (llama and deci load it) */
  downBias?: GgufTensorInfo;
  /** gate and up share one tensor (phi3) */
  fused: boolean;
}

/** The FFN tensors of every layer; throws PruneError for a model whose FFN we cannot prune. */
export function ffnLayout(file: GgufFile): { spec: ModelSpec; layers: FfnLayerTensors[]; perLayerWidths: boolean } {
  const spec = modelSpecFromGguf(file);
  const layout = archLayout(spec.architecture);
  if (!layout) throw new PruneError('PRUNE_UNSUPPORTED_ARCH', `pruning supports llama, phi3, qwen2 and deci models; this one is '${spec.architecture}'`);
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
  const need = (name: string): GgufTensorInfo => {
    const t = byName.get(name);
    if (!t) throw new PruneError('PRUNE_MISSING_TENSOR', `the model has no tensor '${name}': not a complete ${spec.architecture} model`);
    return t;
  };
  const widths = ffnWidths(spec.nFf, spec.nLayer);
  const layers = widths.map((F, l): FfnLayerTensors => {
    const p = `blk.${l}.`;
    if (F === 0) throw new PruneError('PRUNE_UNSUPPORTED_ARCH', `layer ${l} has no FFN (width 0); pruning a model with FFN-free layers is not supported`);
    const down = need(`${p}ffn_down.weight`);
    const up = need(`${p}ffn_up.weight`);
    const fused = layout.fusedGateUp;
    const gate = fused ? undefined : need(`${p}ffn_gate.weight`);
    const rows = (t: GgufTensorInfo, expected: number): void => {
      if (t.shape.length !== 2 || t.shape[1] !== expected) throw new PruneError('PRUNE_BAD_TENSOR', `${t.name} has shape [${t.shape.join(', ')}]; ${expected} rows expected`);
    };
    rows(up, fused ? 2 * F : F);
    if (gate) rows(gate, F);
    if (down.shape.length !== 2 || down.shape[0] !== F) throw new PruneError('PRUNE_BAD_TENSOR', `${down.name} has shape [${down.shape.join(', ')}]; rows of ${F} expected`);
    return {
      layer: l, nFf: F, fused, down, downBias: byName.get(`${p}ffn_down.bias`),
      gate: { tensor: gate ?? up, rowOffset: 0 },
      up: { tensor: up, rowOffset: fused ? F : 0 },
    };
  });
  return { spec, layers, perLayerWidths: layout.perLayerFfn };
}
