import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelLabError } from '../errors.js';
import { isLoraAdapter, loraAdapterProblems } from '../gguf/checkAdapter.js';
import { readGguf, readTensorBytes, modelSpecFromGguf } from '../gguf/index.js';
import { ADAPTER, GENERAL, MODEL_LAB } from '../gguf/metadataKeys.js';
import { dequantize } from '../quant/index.js';
import { PEFT_MODULES, permuteRows, ropeRowPermutation } from './peftNames.js';
import { writeSafetensors, type SafeTensor } from './safetensors.js';

/** GGUF tensor name `blk.<i>.<suffix>.weight` → [layer, suffix]. */
export function parseBlockTensor(name: string): [number, string] | null {
  const m = /^blk\.(\d+)\.([a-z_]+)\.weight$/.exec(name);
  return m ? [Number(m[1]), m[2]!] : null;
}

/**
 * Writes a llama.cpp LoRA adapter GGUF as a PEFT adapter folder: adapter_model.safetensors (F32, Hugging Face module
 * names, lora_A [r, in], lora_B [out, r]) and adapter_config.json. llama's attn_q/attn_k rows are put back in
 * Hugging Face's rope order, which needs the base model's head counts (`basePath`).
 */
export async function exportPeft(adapterPath: string, outDir: string, opts: { basePath?: string } = {}): Promise<{ files: string[]; tensors: number }> {
  const file = await readGguf(adapterPath);
  if (!isLoraAdapter(file.metadata)) throw new ModelLabError('PEFT_NOT_ADAPTER', `${adapterPath} is not a LoRA adapter GGUF.`);
  const arch = String(file.metadata[GENERAL.architecture]);
  const modules = PEFT_MODULES[arch];
  if (!modules) throw new ModelLabError('PEFT_UNSUPPORTED', `PEFT names for '${arch}' adapters are not known (llama, qwen2, phi3).`);
  const { pairs, problems } = loraAdapterProblems(file);
  if (problems.length) throw new ModelLabError('PEFT_NOT_ADAPTER', `${adapterPath}: ${problems[0]}`);
  const needsHeads = arch === 'llama' && pairs.some((p) => /\.attn_[qk]\.weight$/.test(p.base));
  const spec = needsHeads ? (opts.basePath ? modelSpecFromGguf(await readGguf(opts.basePath)) : null) : null;
  if (needsHeads && !spec) throw new ModelLabError('PEFT_NEEDS_BASE', 'A llama adapter on attn_q/attn_k needs the base model (--base MODEL) to restore Hugging Face\'s row order.');
  const tensors: SafeTensor[] = [];
  const targets = new Set<string>();
  let rank = 0;
  for (const p of pairs) {
    const parsed = parseBlockTensor(p.base);
    const module = parsed && modules[parsed[1]];
    if (!parsed || !module) throw new ModelLabError('PEFT_UNSUPPORTED', `${p.base} has no PEFT module name for ${arch}.`);
    rank = p.rank;
    const [cols, r] = p.a.shape as [number, number];
    const rows = p.b.shape[1]!;
    const a = dequantize(p.a.type, await readTensorBytes(file, p.a), p.a.elements); // [r, cols]
    let b = dequantize(p.b.type, await readTensorBytes(file, p.b), p.b.elements); // [rows, r]
    if (spec && (parsed[1] === 'attn_q' || parsed[1] === 'attn_k')) {
      b = permuteRows(b, r, ropeRowPermutation(rows, parsed[1] === 'attn_q' ? spec.nHead : spec.nHeadKv, true));
    }
    const prefix = `base_model.model.model.layers.${parsed[0]}.${module}`;
    tensors.push({ name: `${prefix}.lora_A.weight`, shape: [r, cols], data: a }, { name: `${prefix}.lora_B.weight`, shape: [rows, r], data: b });
    targets.add(module.split('.').pop()!);
  }
  const alphaValue = file.metadata[ADAPTER.loraAlpha];
  // the dropout it was trained with (ours keep it; llama.cpp's converter's do not: 0), for training on with PEFT
  const dropout = file.metadata[MODEL_LAB.loraDropout];
  const config = {
    peft_type: 'LORA', task_type: 'CAUSAL_LM', r: rank, lora_alpha: typeof alphaValue === 'number' ? alphaValue : rank,
    target_modules: [...targets].sort(), lora_dropout: typeof dropout === 'number' ? roundF32(dropout) : 0, bias: 'none', use_rslora: false, fan_in_fan_out: false,
    inference_mode: true, base_model_name_or_path: '',
  };
  await mkdir(outDir, { recursive: true });
  const files = [path.join(outDir, 'adapter_model.safetensors'), path.join(outDir, 'adapter_config.json')];
  await writeSafetensors(files[0]!, tensors, { format: 'pt' });
  await writeFile(files[1]!, JSON.stringify(config, null, 2) + '\n');
  return { files, tensors: tensors.length };
}

/** A float32 read back as the shortest decimal that rounds to it (0.05, not 0.05000000074505806). */
function roundF32(x: number): number {
  for (let digits = 1; digits < 10; digits++) {
    const v = Number(x.toPrecision(digits));
    if (Math.fround(v) === Math.fround(x)) return v;
  }
  return x;
}
