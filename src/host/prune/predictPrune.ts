import { promises as fs } from 'node:fs';
import type { GgufFile } from '../../engine/gguf/index.js';
import { ffnLayout } from '../../engine/prune/index.js';
import { prunedDownType } from '../../engine/prune/downType.js';
import { ggmlTypeTraits } from '../../engine/quant/index.js';
import type { PrunePrediction } from '../../protocol/webviewPrune.js';

/**
 * What a uniform prune at `sparsity` leaves, from the header alone: each layer keeps round((1 − S)·F) neurons rounded
 * to ffn_down's block as the writer rounds them (at least one block, at most F); gate and up keep whole rows in their
 * stored bytes, ffn_down is rewritten in its pruned type. A global allocation moves neurons between layers after
 * scoring, so for it this is the uniform figure. Speed is taken as proportional to the weight bytes read per token.
 */
export async function predictPrune(file: GgufFile, filePath: string, sparsity: number): Promise<PrunePrediction> {
  const { spec, layers } = ffnLayout(file);
  const keep = 1 - sparsity;
  const paramsBefore = file.tensors.reduce((s, t) => s + t.elements, 0);
  const weightBytesBefore = file.tensors.reduce((s, t) => s + t.bytes, 0);
  let removedParams = 0, removedBytes = 0;
  const rounded = new Set<string>();
  const keptPerLayer = layers.map((L) => {
    const F = L.nFf;
    const C = L.down.shape[1];
    const outType = prunedDownType(L.down.type);
    const traits = ggmlTypeTraits(outType)!;
    const b = traits.blockSize;
    const requested = Math.round(keep * F);
    const k = Math.min(F, Math.max(b, Math.round(requested / b) * b));
    if (k !== requested) rounded.add(`${b} (${traits.name} ffn_down)`);
    removedParams += (F - k) * 3 * C;
    // gate and up: whole rows of the stored tensor (phi3's fused ffn_up holds both, 2F rows)
    const rowBytes = (t: GgufFile['tensors'][number]) => t.bytes / t.shape[1];
    removedBytes += (F - k) * (rowBytes(L.gate.tensor) + rowBytes(L.up.tensor));
    const downAfter = C * (k / b) * traits.typeSize;
    removedBytes += L.down.bytes - downAfter;
    return k;
  });
  const fileBytesBefore = (await fs.stat(filePath)).size;
  const weightBytesAfter = weightBytesBefore - removedBytes;
  return {
    arch: spec.architecture,
    nLayer: layers.length,
    nFfBefore: layers.map((L) => L.nFf),
    keptPerLayer,
    paramsBefore,
    paramsAfter: paramsBefore - removedParams,
    fileBytesBefore,
    fileBytesAfter: Math.round(fileBytesBefore - removedBytes),
    weightBytesBefore,
    weightBytesAfter: Math.round(weightBytesAfter),
    speedRatio: weightBytesBefore / Math.max(1, weightBytesAfter),
    rounding: rounded.size ? `kept widths rounded to multiples of ${[...rounded].join(', ')}` : null,
  };
}
