// model-lab adapter merge MODEL ADAPTER.gguf [--out MERGED.gguf | --data DIR] [--scale S] [--keep-type] [--json]
// model-lab adapter export-peft ADAPTER.gguf --out DIR [--base MODEL] [--json]
// model-lab adapter import-peft DIR --base MODEL --out ADAPTER.gguf [--json]
// export-peft writes adapter_model.safetensors + adapter_config.json with Hugging Face module names (phi3: qkv_proj,
// gate_up_proj), for PEFT/TRL; llama adapters on q/k need --base (Hugging Face keeps those rows in another order).
// import-peft brings such a folder back as a llama.cpp adapter for MODEL.
// Folds a LoRA adapter into a new model file: W + scale·(alpha/r)·B·A for each adapted tensor, every other tensor
// copied as stored. The merged tensors are F32 (the merged model scores as the base with the adapter at that scale);
// --keep-type re-encodes them in their stored type instead (smaller, with that type's rounding).
// --json prints {"out","variantId","tensorsMerged","bytes","seconds"}.
import { parseArgs } from 'node:util';
import path from 'node:path';
import { readGguf } from '../../engine/gguf/index.js';
import { exportPeft, importPeft } from '../../engine/peft/index.js';
import { mergeLoraGguf } from '../../engine/tune/mergeLoraGguf.js';
import { CliUsageError } from '../CliUsageError.js';
import { openVariantOutput, variantOutputOptions } from '../variantOutput.js';
import { numberOption } from './llamaArgs.js';
import { cancelOnInterrupt } from '../cancelOnInterrupt.js';

const usage = 'adapter merge MODEL ADAPTER.gguf [--out MERGED.gguf | --data DIR] [--scale S] [--keep-type] [--json] | '
  + 'adapter export-peft ADAPTER.gguf --out DIR [--base MODEL] [--json] | adapter import-peft DIR --base MODEL --out ADAPTER.gguf [--json]';

function parse(args: string[], options: Record<string, { type: 'string' | 'boolean' }>, positionals: number): { pos: string[]; values: Record<string, string | boolean | undefined> } {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, json: { type: 'boolean' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CliUsageError(`${(err as Error).message.split('\n')[0]} (usage: ${usage})`);
  }
  if (parsed.positionals.length !== positionals) throw new CliUsageError(`expected ${positionals} file argument${positionals > 1 ? 's' : ''} (usage: ${usage})`);
  return { pos: parsed.positionals, values: parsed.values as Record<string, string | boolean | undefined> };
}

async function exportCommand(args: string[]): Promise<void> {
  const { pos: [adapter], values } = parse(args, { out: { type: 'string' }, base: { type: 'string' } }, 1);
  if (typeof values.out !== 'string') throw new CliUsageError(`export-peft needs --out DIR (usage: ${usage})`);
  const r = await exportPeft(adapter!, values.out, { basePath: values.base as string | undefined });
  process.stdout.write(values.json ? JSON.stringify({ out: path.resolve(values.out), files: r.files, tensors: r.tensors }) + '\n' : `wrote ${r.files.join(' and ')} (${r.tensors} tensors)\n`);
}

async function importCommand(args: string[]): Promise<void> {
  const { pos: [dir], values } = parse(args, { out: { type: 'string' }, base: { type: 'string' } }, 1);
  if (typeof values.out !== 'string' || typeof values.base !== 'string') throw new CliUsageError(`import-peft needs --base MODEL and --out ADAPTER.gguf (usage: ${usage})`);
  const r = await importPeft(dir!, values.base, values.out);
  await readGguf(values.out);
  process.stdout.write(values.json ? JSON.stringify({ out: path.resolve(values.out), ...r }) + '\n' : `wrote ${values.out} (${r.tensors} tensors, rank ${r.rank}, alpha ${r.alpha})\n`);
}

async function merge(args: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...variantOutputOptions, scale: { type: 'string' }, 'keep-type': { type: 'boolean' }, json: { type: 'boolean' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CliUsageError(`${(err as Error).message.split('\n')[0]} (usage: ${usage})`);
  }
  const [model, adapter, ...extra] = parsed.positionals;
  if (!model || !adapter) throw new CliUsageError(`adapter merge needs a MODEL and an ADAPTER file (usage: ${usage})`);
  if (extra.length) throw new CliUsageError(`unexpected argument '${extra[0]}' (usage: ${usage})`);
  const scale = numberOption(parsed.values as Record<string, string | boolean | undefined>, 'scale') ?? 1;
  const started = Date.now();
  const ac = cancelOnInterrupt();
  const output = await openVariantOutput(parsed.values, {
    kind: 'merged', method: 'merge', parent: { file: path.resolve(model) }, signal: ac.signal,
    parameters: { adapter: path.resolve(adapter), scale, mergedType: parsed.values['keep-type'] ? 'source' : 'f32' },
  });
  try {
    const r = await mergeLoraGguf(model, adapter, output.file, { scale, mergedType: parsed.values['keep-type'] ? 'source' : 'f32', signal: ac.signal });
    const done = await output.commit({ tensorsMerged: r.produced });
    const out = { out: done.file, variantId: done.variantId, tensorsMerged: r.produced, bytes: r.bytesOut, seconds: (Date.now() - started) / 1000 };
    process.stdout.write(parsed.values.json ? JSON.stringify(out) + '\n'
      : `wrote ${out.out}${done.variantId ? ` (variant ${done.variantId})` : ''}: ${out.tensorsMerged} tensors merged, ${(out.bytes / 2 ** 20).toFixed(1)} MiB\n`);
  } catch (err) {
    await output.abandon();
    throw err;
  } finally {
    ac.dispose();
  }
}

export async function run(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === 'merge') return merge(rest);
  if (sub === 'export-peft') return exportCommand(rest);
  if (sub === 'import-peft') return importCommand(rest);
  throw new CliUsageError(`adapter needs a subcommand: merge, export-peft or import-peft (usage: ${usage})`);
}
