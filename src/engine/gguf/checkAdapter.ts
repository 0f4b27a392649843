import type { GgufFile } from './types.js';

/**
 * LoRA adapter structure (FACTS.md): `<base>.lora_a` ne [n_in, r] with `<base>.lora_b` ne [r, n_out]. llama.cpp
 * refuses a broken pair politely (measured), so these are warnings; a non-finite alpha loads but makes every
 * logit NaN (measured: the model then emits token 0 forever).
 */
export function checkAdapter(file: GgufFile): void {
  const md = file.metadata;
  const alpha = md['adapter.lora.alpha'];
  if (typeof alpha === 'number' && !Number.isFinite(alpha)) file.warnings.push(`adapter.lora.alpha is ${alpha}: every output would be NaN`);
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
  for (const t of file.tensors) {
    const m = /^(.*)\.lora_([ab])$/.exec(t.name);
    if (!m) continue;
    const other = byName.get(`${m[1]}.lora_${m[2] === 'a' ? 'b' : 'a'}`);
    if (!other) {
      file.warnings.push(`'${t.name}' has no matching lora_${m[2] === 'a' ? 'b' : 'a'}: llama.cpp will refuse the adapter`);
      continue;
    }
    if (m[2] === 'a' && (t.shape.length !== 2 || other.shape.length !== 2 || t.shape[1] !== other.shape[0])) {
      file.warnings.push(`'${m[1]}' lora_a [${t.shape.join(', ')}] and lora_b [${other.shape.join(', ')}] disagree on the rank: llama.cpp will refuse the adapter`);
    }
  }
}
