// Where a command that makes a model file (prune, train, merge) writes it: `--out FILE`, or — without --out — a new
// variant in the data folder (`--data DIR`, default `.model-lab` in the current folder), registered with its
// parent so that `model-lab variants` and the Models view show its lineage.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ModelLabError } from '../engine/errors.js';
import { assertNotSameFile, readGguf } from '../engine/gguf/index.js';
import { createVariant, DEFAULT_DATA_DIRECTORY, readVariant, workspacePaths, type NewVariant, type PendingVariant } from '../workspace/index.js';

/** Spread into a command's parseArgs options. */
export const variantOutputOptions = {
  data: { type: 'string' },
  out: { type: 'string' },
} as const;

/** `--data DIR` as an absolute path; the default is `.model-lab` in the current folder. */
export function dataDirectoryOption(values: { data?: unknown }): string {
  return path.resolve(typeof values.data === 'string' && values.data !== '' ? values.data : DEFAULT_DATA_DIRECTORY);
}

/**
 * A MODEL argument as a file: a path, or the id of a variant in the data folder (`model-lab train prune-ffn-…
 * --data D` works on that variant's GGUF, and the new variant records it as its parent).
 */
export async function modelFileArgument(arg: string, values: { data?: unknown }): Promise<string> {
  const st = await fs.stat(arg).catch(() => null);
  if (st?.isFile()) return path.resolve(arg);
  const data = dataDirectoryOption(values);
  if (!st && !/[\\/]/.test(arg)) {
    const r = await readVariant(path.join(workspacePaths(data).variants, arg));
    if ('variant' in r) return r.variant.path;
    if ('problem' in r) throw new ModelLabError('VARIANT_UNUSABLE', `variant '${arg}' in ${data}: ${r.problem}`);
  }
  throw new ModelLabError('FILE_NOT_FOUND', st ? `'${arg}' is not a file` : `cannot open '${arg}': no such file, and no variant of that id in ${data}`);
}

export interface VariantOutput {
  /** Absolute path the command writes its GGUF to. */
  file: string;
  /** The reserved variant; null with --out. */
  variant: PendingVariant | null;
  /**
   * Call when the file is complete: checks it with our GGUF reader and, without --out, registers the variant.
   * Returns what to tell the user.
   */
  commit(metrics?: Record<string, unknown>): Promise<{ file: string; variantId: string | null }>;
  /** Call when the command fails or is cancelled: removes what was written. */
  abandon(): Promise<void>;
}

/**
 * Opens the output of a command from its `--data`/`--out` values. `spec` says what the variant is (kind, method,
 * parent, parameters, data hash); with --out it is not recorded anywhere.
 */
export async function openVariantOutput(values: { data?: unknown; out?: unknown }, spec: NewVariant): Promise<VariantOutput> {
  if (typeof values.out === 'string' && values.out !== '') {
    const file = path.resolve(values.out);
    // the model a command reads is never its output: a failed run would otherwise leave the user without it
    if ('file' in spec.parent) await assertNotSameFile(spec.parent.file, file);
    await fs.mkdir(path.dirname(file), { recursive: true });
    // a file that was there before the command is the user's: a failed run must not delete it
    const existed = await fs.stat(file).then(() => true, () => false);
    return {
      file,
      variant: null,
      async commit() {
        await readGguf(file);
        return { file, variantId: null };
      },
      async abandon() {
        if (!existed) await fs.rm(file, { force: true });
      },
    };
  }
  const variant = await createVariant(dataDirectoryOption(values), spec);
  return {
    file: variant.file,
    variant,
    async commit(metrics) {
      const v = await variant.commit({ metrics, signal: spec.signal });
      return { file: v.path, variantId: v.id };
    },
    abandon: () => variant.abandon(),
  };
}
