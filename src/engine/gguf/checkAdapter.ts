import { ADAPTER, ADAPTER_FILE_TYPE, GENERAL } from './metadataKeys.js';
import type { GgufFile, GgufTensorInfo, GgufValue } from './types.js';

/** One adapted weight: `<base>.lora_a` ne [n_in, r] and `<base>.lora_b` ne [r, n_out]. */
export interface LoraTensorPair {
  /** the base model tensor's name (e.g. 'blk.0.attn_q.weight') */
  base: string;
  a: GgufTensorInfo;
  b: GgufTensorInfo;
  /** rank r (a's ne[1]) */
  rank: number;
}

/** The file says it is a LoRA adapter: general.type 'adapter' and adapter.type 'lora'. */
export function isLoraAdapter(md: Record<string, GgufValue>): boolean {
  return md[GENERAL.type] === ADAPTER_FILE_TYPE && md[ADAPTER.type] === 'lora';
}

/**
 * The one LoRA adapter check (docs/dev/FORMATS.md): pairs every lora_a with its lora_b and lists what llama.cpp would
 * refuse — a half pair, ranks that disagree, no pair at all, a non-finite alpha (it loads, but every logit becomes
 * NaN: measured, the model then emits token 0 forever) — and, given the base model's tensor shapes (ne order), a
 * pair that does not fit its base tensor or adapts a tensor the model lacks. Problems are one-line sentences.
 */
export function loraAdapterProblems(file: GgufFile, baseShapes?: ReadonlyMap<string, readonly number[]>):
  { pairs: LoraTensorPair[]; problems: string[] } {
  const problems: string[] = [];
  const alpha = file.metadata[ADAPTER.loraAlpha];
  if (typeof alpha === 'number' && !Number.isFinite(alpha)) problems.push(`adapter.lora.alpha is ${alpha}: every output would be NaN`);
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
  const pairs: LoraTensorPair[] = [];
  for (const t of file.tensors) {
    const m = /^(.*)\.lora_([ab])$/.exec(t.name);
    if (!m) continue;
    const [, base, side] = m;
    const other = byName.get(`${base}.lora_${side === 'a' ? 'b' : 'a'}`);
    if (!other) {
      problems.push(`'${t.name}' has no matching lora_${side === 'a' ? 'b' : 'a'}: llama.cpp will refuse the adapter`);
      continue;
    }
    if (side === 'b') continue; // each pair once, from its lora_a
    const b = other;
    if (t.shape.length !== 2 || b.shape.length !== 2 || t.shape[1] !== b.shape[0]) {
      problems.push(`'${base}' lora_a [${t.shape.join(', ')}] and lora_b [${b.shape.join(', ')}] disagree on the rank: llama.cpp will refuse the adapter`);
      continue;
    }
    pairs.push({ base, a: t, b, rank: t.shape[1] });
    if (!baseShapes) continue;
    const w = baseShapes.get(base);
    if (!w) problems.push(`the adapter adapts ${base}, which the model does not have`);
    else if (t.shape[0] !== w[0] || b.shape[1] !== w[1]) {
      problems.push(`${base}: lora_a [${t.shape.join(', ')}] and lora_b [${b.shape.join(', ')}] do not fit the model tensor [${w.join(', ')}] (want A [${w[0]}, r], B [r, ${w[1]}])`);
    }
  }
  if (pairs.length === 0 && problems.length === 0) problems.push('the adapter has no .lora_a/.lora_b tensor pairs');
  return { pairs, problems };
}

/** Adds the adapter's problems (loraAdapterProblems, without a base model) to file.warnings. */
export function checkAdapter(file: GgufFile): void {
  file.warnings.push(...loraAdapterProblems(file).problems);
}
