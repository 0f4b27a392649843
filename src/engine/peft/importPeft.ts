import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ModelLabError } from '../errors.js';
import { readGguf, modelSpecFromGguf, writeGguf, GGUF_VALUE_TYPE, type GgufTensorToWrite } from '../gguf/index.js';
import { ADAPTER, ADAPTER_FILE_TYPE, GENERAL, MODEL_LAB } from '../gguf/metadataKeys.js';
import { parseBlockTensor } from './exportPeft.js';
import { PEFT_MODULES, permuteRows, ropeRowPermutation } from './peftNames.js';
import { readSafetensors } from './safetensors.js';

/**
 * Reads a PEFT LoRA folder (adapter_config.json + adapter_model.safetensors) into a llama.cpp adapter GGUF for
 * `basePath`: module names mapped to GGUF tensor names, shapes checked against the base, llama's q/k rows put in
 * GGUF's rope order, rsLoRA's alpha/√r scaling folded into adapter.lora.alpha (llama.cpp applies alpha/r);
 * lora_dropout kept (model_lab.lora.dropout) so a run that continues the adapter, or an export, has it.
 */
export async function importPeft(dir: string, basePath: string, out: string): Promise<{ tensors: number; rank: number; alpha: number; dropout: number }> {
  checkPeftFolder(dir);
  let config: { r?: number; lora_alpha?: number; lora_dropout?: number; use_rslora?: boolean; peft_type?: string; fan_in_fan_out?: boolean };
  try {
    config = JSON.parse(readFileSync(path.join(dir, 'adapter_config.json'), 'utf8'));
  } catch (err) {
    throw new ModelLabError('PEFT_BAD', `Cannot read ${path.join(dir, 'adapter_config.json')}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (config.peft_type !== undefined && config.peft_type !== 'LORA') throw new ModelLabError('PEFT_UNSUPPORTED', `peft_type ${config.peft_type} is not LoRA.`);
  if (config.fan_in_fan_out) throw new ModelLabError('PEFT_UNSUPPORTED', 'fan_in_fan_out adapters (Conv1D models) are not supported.');
  const base = await readGguf(basePath);
  const spec = modelSpecFromGguf(base);
  const arch = String(base.metadata[GENERAL.architecture]);
  const modules = PEFT_MODULES[arch];
  if (!modules) throw new ModelLabError('PEFT_UNSUPPORTED', `PEFT names for '${arch}' models are not known (llama, qwen2, phi3).`);
  const suffixOf = new Map(Object.entries(modules).map(([suffix, module]) => [module, suffix]));
  const shapes = new Map(base.tensors.map((t) => [t.name, t.shape]));
  const { tensors } = readSafetensors(path.join(dir, 'adapter_model.safetensors'));
  const out_: GgufTensorToWrite[] = [];
  const bytes = (x: Float32Array): Uint8Array => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  let rank = config.r ?? 0;
  for (const t of tensors) {
    const m = /layers\.(\d+)\.(.+)\.lora_([AB])(?:\.[A-Za-z_]+)?\.weight$/.exec(t.name);
    if (!m) continue;
    const suffix = suffixOf.get(m[2]!);
    if (!suffix) throw new ModelLabError('PEFT_UNSUPPORTED', `${t.name}: module ${m[2]} has no llama.cpp tensor in ${arch}.`);
    const name = `blk.${m[1]}.${suffix}.weight`;
    const w = shapes.get(name);
    if (!w || !parseBlockTensor(name)) throw new ModelLabError('PEFT_WRONG_BASE', `${t.name} adapts ${name}, which ${basePath} does not have.`);
    const [cols, rows] = w as [number, number];
    if (m[3] === 'A') {
      if (t.shape[1] !== cols) throw new ModelLabError('PEFT_WRONG_BASE', `${t.name} [${t.shape}] does not fit ${name} (in ${cols}).`);
      rank = t.shape[0]!;
      out_.push({ name: `${name}.lora_a`, type: 0, shape: [cols, t.shape[0]!], data: bytes(t.data) });
    } else {
      if (t.shape[0] !== rows) throw new ModelLabError('PEFT_WRONG_BASE', `${t.name} [${t.shape}] does not fit ${name} (out ${rows}).`);
      let b = t.data;
      if (arch === 'llama' && (suffix === 'attn_q' || suffix === 'attn_k')) {
        b = permuteRows(b, t.shape[1]!, ropeRowPermutation(rows, suffix === 'attn_q' ? spec.nHead : spec.nHeadKv, false));
      }
      out_.push({ name: `${name}.lora_b`, type: 0, shape: [t.shape[1]!, rows], data: bytes(b) });
    }
  }
  if (out_.length === 0) throw new ModelLabError('PEFT_BAD', `${dir} holds no LoRA tensors.`);
  const loraAlpha = config.lora_alpha ?? rank;
  const dropout = config.lora_dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) throw new ModelLabError('PEFT_BAD', `adapter_config.json: lora_dropout ${String(dropout)} is not in [0, 1).`);
  const alpha = config.use_rslora ? loraAlpha * Math.sqrt(rank) : loraAlpha;
  const T = GGUF_VALUE_TYPE;
  await writeGguf(out, {
    metadata: [
      { key: GENERAL.architecture, type: T.STRING, value: arch },
      { key: GENERAL.type, type: T.STRING, value: ADAPTER_FILE_TYPE },
      { key: GENERAL.name, type: T.STRING, value: `PEFT ${path.basename(path.resolve(dir))}` },
      { key: ADAPTER.type, type: T.STRING, value: 'lora' },
      { key: ADAPTER.loraAlpha, type: T.FLOAT32, value: alpha },
      ...(dropout > 0 ? [{ key: MODEL_LAB.loraDropout, type: T.FLOAT32, value: dropout }] : []),
    ],
    tensors: out_,
  });
  return { tensors: out_.length, rank, alpha, dropout };
}

const PEFT_FILES = ['adapter_config.json', 'adapter_model.safetensors'];

/** A missing folder or file is named in one line with what a PEFT folder holds (fs's own "ENOENT: …" says neither). */
function checkPeftFolder(dir: string): void {
  const holds = `a PEFT LoRA folder holds ${PEFT_FILES.join(' and ')}`;
  if (!existsSync(dir)) throw new ModelLabError('PEFT_BAD', `${dir}: no such folder (${holds})`);
  if (!statSync(dir).isDirectory()) throw new ModelLabError('PEFT_BAD', `${dir} is a file, not a folder (${holds})`);
  const missing = PEFT_FILES.filter((f) => !existsSync(path.join(dir, f)));
  if (missing.length) throw new ModelLabError('PEFT_BAD', `${dir} has no ${missing.join(' and no ')} (${holds})`);
}
