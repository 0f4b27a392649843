import { modelSpecFromGguf, readGguf, type GgufFile } from '../gguf/index.js';
import type { ModelSpec } from '../gguf/ModelSpec.js';
import { archKey } from '../gguf/metadataKeys.js';
import { archLayout, ffnWidths, LAYOUT_ARCHS, modelTensors, ROPE_FREQS_TENSOR, type ArchLayout, type LayoutDims } from '../gguf/tensorLayout.js';
import { KERNEL_TYPES } from '../kernels/index.js';
import { EngineModelError } from './EngineModelError.js';

const KERNEL_TYPE_IDS = new Set<number>(Object.values(KERNEL_TYPES));
/** rope.scaling.type values that leave the angles as they are. */
const PLAIN_ROPE = new Set(['none', '']);
/** llama.cpp reads rope_freqs for these; in another architecture's file it refuses the extra tensor, and so do we. */
const ROPE_FREQS_ARCHS = new Set(['llama', 'deci']);

/**
 * Refuse, before any tensor is read, a model the engine would compute differently from llama.cpp: an architecture
 * outside the layout table, a rope scaling the engine does not implement, a tensor it has no place for (its
 * computation would be silently dropped), or a weight type without a kernel. Each error names what is missing.
 * `dense`: weights are dequantized to F32 at load, so any type the quant module reads is fine. Returns the layout.
 */
export function checkEngineSupport(file: GgufFile, spec: ModelSpec, path: string, dense: boolean): ArchLayout {
  const arch = spec.architecture;
  const layout = archLayout(arch);
  if (!layout) {
    throw new EngineModelError('ENGINE_UNSUPPORTED_ARCH',
      `The lab engine runs ${LAYOUT_ARCHS.join(', ')} models; this one is '${arch}'. Use the llama.cpp engine.`);
  }
  const md = file.metadata;
  const scaling = md[archKey(arch, 'ropeScalingType')];
  const factor = Number(md[archKey(arch, 'ropeScalingFactor')] ?? 1);
  // linear scaling by 1 is no scaling at all (some converters write it)
  if (scaling !== undefined && !PLAIN_ROPE.has(String(scaling)) && !(String(scaling) === 'linear' && factor === 1)) {
    throw new EngineModelError('ENGINE_UNSUPPORTED_ROPE', `${path}: rope scaling '${String(scaling)}' (×${factor}) is not implemented by the lab engine (it implements plain rope and rope_freqs factors). Use the llama.cpp engine.`);
  }

  const dims: LayoutDims = { nEmbd: spec.nEmbd, nVocab: spec.nVocab, nHead: spec.nHead, nHeadKv: spec.nHeadKv, headDim: spec.headDim,
    ffn: ffnWidths(spec.nFf, spec.nLayer), tiedOutput: spec.tiedOutput };
  const known = new Set<string>(ROPE_FREQS_ARCHS.has(arch) ? [ROPE_FREQS_TENSOR] : []);
  const fusedLayout = { ...layout, fusedQkv: !layout.fusedQkv };
  for (const l of [layout, fusedLayout]) {
    // a file may carry attn_qkv or attn_q/k/v in any of these architectures (the loader follows the file)
    for (const t of modelTensors(l, dims)) {
      known.add(`${t.base}.weight`);
      if (t.kind === 'matrix') known.add(`${t.base}.bias`);
    }
  }
  const unknown = file.tensors.filter((t) => !known.has(t.name)).map((t) => t.name);
  if (unknown.length > 0) {
    throw new EngineModelError('ENGINE_UNSUPPORTED_TENSOR', `${path}: the lab engine's ${arch} model has no place for ${listNames(unknown)}; it would compute without them. Use the llama.cpp engine.`);
  }

  const freqs = file.tensors.find((t) => t.name === ROPE_FREQS_TENSOR);
  if (freqs && (freqs.typeName !== 'F32' || freqs.elements !== spec.ropeDims / 2)) {
    throw new EngineModelError('ENGINE_BAD_TENSOR', `${path}: ${ROPE_FREQS_TENSOR} is ${freqs.typeName} with ${freqs.elements} values; F32 with ${spec.ropeDims / 2} (one per rotary pair) expected.`);
  }

  if (dense) return layout;
  // an untied token_embd is only read row by row (dequantized); every other matrix is multiplied by the kernels
  const byType = new Map<string, string[]>();
  for (const t of file.tensors) {
    if (t.shape.length !== 2 || KERNEL_TYPE_IDS.has(t.type) || (t.name === 'token_embd.weight' && !spec.tiedOutput)) continue;
    byType.set(t.typeName, [...(byType.get(t.typeName) ?? []), t.name]);
  }
  if (byType.size > 0) {
    const what = [...byType].map(([type, names]) => `${type} (${listNames(names)})`).join('; ');
    throw new EngineModelError('ENGINE_UNSUPPORTED_TYPE', `${path}: no lab-engine kernel for ${what}; the kernels read ${Object.keys(KERNEL_TYPES).join(', ')}. Use the llama.cpp engine or a file quantized to those types.`);
  }
  return layout;
}

/**
 * Whether the lab engine can run the model at `path`, from its header alone (no tensor is read): throws what
 * loadEngineModel would refuse it for (GgufFormatError, EngineModelError). For a job to call before its other
 * work (tokenizing, calibration), so a model it cannot run fails at once.
 */
export async function checkEngineModelFile(path: string, opts: { dense?: boolean; signal?: AbortSignal } = {}): Promise<void> {
  const file = await readGguf(path, { signal: opts.signal });
  checkEngineSupport(file, modelSpecFromGguf(file), path, opts.dense === true);
}

function listNames(names: string[]): string {
  const shown = names.slice(0, 3).map((n) => `'${n}'`).join(', ');
  return names.length > 3 ? `${shown} and ${names.length - 3} more` : shown;
}
