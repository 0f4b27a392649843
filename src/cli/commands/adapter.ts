// model-lab adapter merge MODEL ADAPTER.gguf [--out MERGED.gguf | --data DIR] [--scale S] [--keep-type] [--json]
// Folds a LoRA adapter into a new model file: W + scale·(alpha/r)·B·A for each adapted tensor, every other tensor
// copied as stored. The merged tensors are F32 (the merged model scores as the base with the adapter at that scale);
// --keep-type re-encodes them in their stored type instead (smaller, with that type's rounding).
// --json prints {"out","variantId","tensorsMerged","bytes","seconds"}.
import { parseArgs } from 'node:util';
import path from 'node:path';
import { mergeLoraGguf } from '../../engine/tune/mergeLoraGguf.js';
import { CliUsageError } from '../CliUsageError.js';
import { openVariantOutput, variantOutputOptions } from '../variantOutput.js';
import { numberOption } from './llamaArgs.js';

const usage = 'adapter merge MODEL ADAPTER.gguf [--out MERGED.gguf | --data DIR] [--scale S] [--keep-type] [--json]';

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
  const ac = new AbortController();
  const onSigint = (): void => ac.abort();
  process.once('SIGINT', onSigint);
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
    process.removeListener('SIGINT', onSigint);
  }
}

export async function run(args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === 'merge') return merge(rest);
  throw new CliUsageError(`adapter needs a subcommand: merge (usage: ${usage})`);
}
