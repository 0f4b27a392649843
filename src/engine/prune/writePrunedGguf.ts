import {
  GGUF_VALUE_TYPE as V, readGguf, rewriteGguf, type GgufMetadataEntry, type GgufTensorInfo, type RewriteResult,
  type RewriteSource, type RewrittenTensor,
} from '../gguf/index.js';
import { ggmlTypeTraits, quantize } from '../quant/index.js';
import { prunedDownType } from './downType.js';
import { archKey, GENERAL } from '../gguf/metadataKeys.js';
import { archLayout } from '../gguf/tensorLayout.js';
import { ffnLayout, type FfnLayerTensors } from './ffnLayout.js';
import { phi3ToDeciTensors, PHI3_DROPPED_KEYS } from './phi3ToDeci.js';
import { PruneError } from './PruneError.js';

/** Architectures whose llama.cpp graph adds `blk.N.ffn_down.bias` when the file has one (measured: llama, deci). */
export const DOWN_BIAS_ARCHS: ReadonlySet<string> = new Set(['llama', 'deci']);

export interface PrunedWrite {
  /** kept neuron indices per layer, ascending */
  kept: Int32Array[];
  /**
   * 'same': the source's architecture (every layer must keep the same count unless it reads per-layer widths);
   * 'deci': llama.cpp's deci architecture, which builds each layer with its own width (llama and phi3 sources).
   */
  architecture: 'same' | 'deci';
  /** FLAP: each neuron's mean activation; the removed neurons' mean contribution becomes an FFN down bias */
  meanActivation?: Float32Array[];
  /** extra metadata (provenance) */
  metadata?: GgufMetadataEntry[];
  /**
   * Write the reference instead: every tensor keeps its shape and the dropped neurons are zeroed (their gate/up
   * rows and down columns). It computes what the pruned file computes; it is NOT a pruned model.
   */
  zeroInstead?: boolean;
  signal?: AbortSignal;
  onProgress?: (fraction: number) => void;
}

export interface PrunedWriteResult extends RewriteResult {
  architecture: string;
  perLayerKept: number[];
  /** whether the removed neurons' mean contribution was written as an FFN down bias */
  biasCompensation: boolean;
  /** layers whose ffn_down changed type (we cannot quantize to its own): from → to */
  downTypeChanges: { layer: number; from: string; to: string }[];
}

/**
 * Writes a pruned (or, with zeroInstead, zeroed) copy of a model, streaming from the source: gate and up rows of
 * kept neurons are copied in their stored bytes; ffn_down is dequantized a chunk of rows at a time, its kept columns
 * requantized to its own type (a layer that keeps every neuron is copied as stored); feed_forward_length is updated.
 */
export async function writePrunedGguf(srcPath: string, out: string, w: PrunedWrite): Promise<PrunedWriteResult> {
  const file = await readGguf(srcPath, { signal: w.signal });
  const { spec, layers } = ffnLayout(file);
  const arch = spec.architecture;
  if (w.kept.length !== layers.length) throw new PruneError('PRUNE_BAD_PLAN', `${w.kept.length} layers of kept neurons for a ${layers.length}-layer model`);
  const widths = w.kept.map((k) => k.length);
  const target = w.architecture === 'deci' && !w.zeroInstead ? 'deci' : arch;
  if (w.architecture === 'deci' && arch !== 'llama' && arch !== 'phi3' && arch !== 'deci') {
    throw new PruneError('PRUNE_UNSUPPORTED_ARCH', `a ${arch} model cannot be written as deci; prune it uniformly`);
  }
  const uniformOut = w.zeroInstead || widths.every((k) => k === widths[0]);
  if (!uniformOut && !archLayout(target)?.perLayerFfn) {
    throw new PruneError('PRUNE_UNEQUAL_WIDTHS', `llama.cpp builds every ${target} layer with one FFN width; unequal widths need the deci architecture`);
  }
  const withBias = !!w.meanActivation && DOWN_BIAS_ARCHS.has(target);
  const downTypeChanges: PrunedWriteResult['downTypeChanges'] = [];
  const layerOf = new Map<string, FfnLayerTensors>();
  for (const l of layers) for (const t of [l.gate.tensor, l.up.tensor, l.down]) layerOf.set(t.name, l);
  const bias = new Map<number, Float32Array>();
  const keptSet = w.kept.map((k, l) => { const m = new Uint8Array(layers[l].nFf); for (const i of k) m[i] = 1; return m; });

  const tensor = (t: GgufTensorInfo): RewrittenTensor[] | undefined => {
    const l = layerOf.get(t.name);
    if (l) return ffnTensor(t, l);
    const m = /^blk\.(\d+)\.ffn_(gate|up)\.bias$/.exec(t.name);
    if (m) return [sliceVector(t, Number(m[1]), m[2] === 'up' && layers[Number(m[1])].fused)];
    if (/^blk\.\d+\.ffn_down\.bias$/.test(t.name) && withBias) return []; // rewritten after ffn_down
    if (target === 'deci' && arch === 'phi3') return phi3ToDeciTensors(t, spec);
    return undefined;
  };

  const ffnTensor = (t: GgufTensorInfo, l: FfnLayerTensors): RewrittenTensor[] => {
    const kept = w.kept[l.layer];
    const F = l.nFf, k = kept.length, all = k === F;
    if (t.name === l.down.name) {
      const outType = prunedDownType(t.type);
      if (outType !== t.type && !all) downTypeChanges.push({ layer: l.layer, from: t.typeName, to: typeName(outType) });
      const list: RewrittenTensor[] = [all && outType === t.type && !withBias
        ? { name: t.name, type: t.type, shape: t.shape }
        : { name: t.name, type: all ? t.type : outType, shape: [w.zeroInstead ? F : k, t.shape[1]], data: (src) => downData(src, t, l, all ? t.type : outType) }];
      if (withBias) list.push({ name: `blk.${l.layer}.ffn_down.bias`, type: 0, shape: [t.shape[1]], data: () => quantize(0, bias.get(l.layer)!) });
      return list;
    }
    // gate / up (phi3: one fused tensor holding both halves)
    const halves = l.fused ? [0, F] : [0];
    if (target === 'deci' && l.fused && !w.zeroInstead) {
      return [
        { name: `blk.${l.layer}.ffn_gate.weight`, type: t.type, shape: [t.shape[0], k], data: (src) => src.rows(t, kept) },
        { name: `blk.${l.layer}.ffn_up.weight`, type: t.type, shape: [t.shape[0], k], data: (src) => src.rows(t, kept.map((i) => i + F)) },
      ];
    }
    if (all) return [{ name: t.name, type: t.type, shape: t.shape }];
    if (w.zeroInstead) return [{ name: t.name, type: t.type, shape: t.shape, data: (src) => zeroRows(src, t, keptSet[l.layer]) }];
    const rows = halves.flatMap((o) => Array.from(kept, (i) => i + o));
    return [{ name: t.name, type: t.type, shape: [t.shape[0], rows.length], data: (src) => src.rows(t, rows) }];
  };

  const sliceVector = (t: GgufTensorInfo, layer: number, fused: boolean): RewrittenTensor => {
    const F = layers[layer].nFf, kept = w.kept[layer];
    const halves = fused ? [0, F] : [0];
    const n = w.zeroInstead ? t.shape[0] : halves.length * kept.length;
    return { name: t.name, type: 0, shape: [n], data: async function* (src) {
      for await (const { values } of src.rowsF32(t)) {
        if (w.zeroInstead) { yield quantize(0, values.map((v, i) => (keptSet[layer][i % F] ? v : 0))); continue; }
        yield quantize(0, Float32Array.from(halves.flatMap((o) => Array.from(kept, (i) => values[o + i]))));
      }
    } };
  };

  // ffn_down ne [F, C]: C rows of F values; neuron i is element i of each row
  async function* downData(src: RewriteSource, t: GgufTensorInfo, l: FfnLayerTensors, outType: number): AsyncIterable<Uint8Array> {
    const F = l.nFf, C = t.shape[1], kept = w.kept[l.layer], keep = keptSet[l.layer];
    const mean = withBias ? w.meanActivation![l.layer] : undefined;
    const b = new Float32Array(C);
    if (l.downBias) for await (const { values } of src.rowsF32(l.downBias)) b.set(values);
    const width = w.zeroInstead ? F : kept.length;
    for await (const { row, values } of src.rowsF32(t)) {
      const m = values.length / F;
      const o = new Float32Array(m * width);
      for (let r = 0; r < m; r++) {
        const v = values.subarray(r * F, (r + 1) * F);
        if (w.zeroInstead) { for (let i = 0; i < F; i++) o[r * F + i] = keep[i] ? v[i] : 0; } else { for (let j = 0; j < kept.length; j++) o[r * width + j] = v[kept[j]]; }
        if (mean) { let s = 0; for (let i = 0; i < F; i++) if (!keep[i]) s += v[i] * mean[i]; b[row + r] += s; }
      }
      yield quantize(outType, o);
    }
    bias.set(l.layer, b);
  }

  const metadata = (entries: GgufMetadataEntry[]): GgufMetadataEntry[] => {
    const out: GgufMetadataEntry[] = [];
    for (const e of entries) {
      let { key } = e;
      if (target !== arch && key.startsWith(`${arch}.`)) {
        if (arch === 'phi3' && PHI3_DROPPED_KEYS.has(key.slice(arch.length + 1))) continue;
        key = `${target}.${key.slice(arch.length + 1)}`;
      }
      if (key === GENERAL.architecture) { out.push({ ...e, value: target }); continue; }
      if (key === archKey(target, 'feedForwardLength')) {
        const ws = w.zeroInstead ? layers.map((l) => l.nFf) : widths;
        out.push(uniformOut && !Array.isArray(e.value)
          ? { key, type: V.UINT32, value: ws[0] }
          : { key, type: V.ARRAY, elementType: V.INT32, value: ws });
        continue;
      }
      if (w.metadata?.some((m) => m.key === key)) continue;
      out.push({ ...e, key });
    }
    return [...out, ...(w.metadata ?? [])];
  };

  const r = await rewriteGguf(srcPath, out, { metadata, tensor }, { signal: w.signal, onProgress: w.onProgress });
  return { ...r, architecture: target, perLayerKept: w.zeroInstead ? layers.map((l) => l.nFf) : widths, biasCompensation: withBias, downTypeChanges };
}

/** Stored rows with the dropped neurons' rows zeroed (all-zero bytes are zeros in every GGML type). */
async function* zeroRows(src: RewriteSource, t: GgufTensorInfo, keep: Uint8Array): AsyncIterable<Uint8Array> {
  const F = keep.length, rb = src.rowBytes(t);
  let r = 0;
  // src.rows yields whole rows; row r belongs to neuron r mod F (phi3's fused gate|up holds two rows per neuron)
  for await (const chunk of src.rows(t, Array.from({ length: src.rowCount(t) }, (_, i) => i))) {
    for (let o = 0; o < chunk.length; o += rb, r++) if (!keep[r % F]) chunk.fill(0, o, o + rb);
    yield chunk;
  }
}

function typeName(type: number): string {
  return ggmlTypeTraits(type)?.name ?? String(type);
}
