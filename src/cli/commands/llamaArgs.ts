// Argument handling shared by the llama-backed commands (generate, logprobs, ppl), on node:util's parseArgs.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { GPU_SETTINGS, type GpuSetting } from '../../protocol/runtime.js';
import { LlamaRuntime } from '../../runtime/core/LlamaRuntime.js';
import { CliUsageError } from '../CliUsageError.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Options every llama-backed command accepts. Defaults from MODEL_LAB_GPU / MODEL_LAB_THREADS. */
export const commonOptions: Options = {
  json: { type: 'boolean' },
  gpu: { type: 'string' },
  threads: { type: 'string' },
};

export interface ParsedCommand {
  model: string;
  values: Record<string, string | boolean | undefined>;
}

/** Parses `COMMAND MODEL [options]`; every mistake is a CliUsageError (exit 2). */
export function parseCommand(command: string, args: string[], options: Options, usage: string): ParsedCommand {
  const all = { ...commonOptions, ...options };
  // `--lr -1` is a bad number (its own one-line error), not a missing value: parseArgs refuses a value that starts
  // with a dash, so a negative number is joined to its option as `--lr=-1`
  args = args.flatMap((a, i) => {
    const prev = args[i - 1];
    if (/^-(\d|\.\d)/.test(a) && prev?.startsWith('--') && !prev.includes('=') && all[prev.slice(2)]?.type === 'string') return [];
    const next = args[i + 1];
    if (a.startsWith('--') && !a.includes('=') && all[a.slice(2)]?.type === 'string' && next !== undefined && /^-(\d|\.\d)/.test(next)) return [`${a}=${next}`];
    return [a];
  });
  let parsed;
  try {
    parsed = parseArgs({ args, options: all, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CliUsageError(`${(err as Error).message.split('\n')[0]} (usage: ${usage})`);
  }
  const [model, ...extra] = parsed.positionals;
  if (!model) throw new CliUsageError(`${command} needs a MODEL file (usage: ${usage})`);
  if (extra.length) throw new CliUsageError(`unexpected argument '${extra[0]}' (usage: ${usage})`);
  return { model, values: parsed.values as Record<string, string | boolean | undefined> };
}

export function requiredString(values: ParsedCommand['values'], name: string, usage: string): string {
  const v = values[name];
  if (typeof v !== 'string') throw new CliUsageError(`--${name} is required (usage: ${usage})`);
  return v;
}

/** A number option; `integer` and `min` are checked. */
export function numberOption(values: ParsedCommand['values'], name: string, opts: { integer?: boolean; min?: number } = {}): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || (opts.integer && !Number.isInteger(n))) {
    throw new CliUsageError(`--${name} must be ${opts.integer ? 'an integer' : 'a number'}, not '${String(v)}'`);
  }
  if (opts.min !== undefined && n < opts.min) throw new CliUsageError(`--${name} must be at least ${opts.min}`);
  return n;
}

/** `--gpu auto|cuda|…` for the commands' usage lines. */
export const GPU_USAGE = `--gpu ${GPU_SETTINGS.join('|')}`;

/** An in-process runtime (the CLI needs no child process: a crash only ends this command). */
export async function createCliRuntime(values: ParsedCommand['values']): Promise<LlamaRuntime> {
  const gpu = (values.gpu as string | undefined) ?? process.env.MODEL_LAB_GPU ?? 'auto';
  if (!(GPU_SETTINGS as readonly string[]).includes(gpu)) throw new CliUsageError(`--gpu must be one of ${GPU_SETTINGS.join(', ')}`);
  const threads = numberOption({ threads: (values.threads as string | undefined) ?? process.env.MODEL_LAB_THREADS }, 'threads', { integer: true, min: 0 });
  // stdout carries the result and stderr only an error line: llama.cpp's own chatter is not shown
  const runtime = new LlamaRuntime();
  await runtime.initialize({ gpu: gpu as GpuSetting, threads, logLevel: 'error' });
  return runtime;
}

/** Runs fn with a runtime and always frees it (native memory, threads). */
export async function withCliRuntime<T>(values: ParsedCommand['values'], fn: (rt: LlamaRuntime) => Promise<T>): Promise<T> {
  const rt = await createCliRuntime(values);
  try {
    return await fn(rt);
  } finally {
    await rt.dispose();
  }
}
