// model-lab prune MODEL --method random|magnitude|activation|flap|sensitivity|movement|gum|gum-oneshot --sparsity S
//   [--allocation uniform|global] [--calib FILE|GLOB] [--steps N] [--distill] [--seed N] [--out OUT.gguf | --data DIR]
//   [--json]
// Removes the share S of FFN neurons (0 ≤ S < 1) and writes a smaller GGUF that llama.cpp runs. --json prints
// {"out","method","sparsity","allocation","arch","nFfBefore","perLayerKept","bytesBefore","bytesAfter","seconds"};
// what happened along the way (block rounding, deci, an allocation that could not be written as asked) is printed
// as "note:" lines (on stderr with --json).
import path from 'node:path';
import { AbortedError } from '../../engine/errors.js';
import { assertNotSameFile, readGguf } from '../../engine/gguf/index.js';
import { TOKENIZER } from '../../engine/gguf/metadataKeys.js';
import {
  CALIBRATED_METHODS, calibrationForModel, PRUNE_METHODS, pruneModel, PruneError,
  type CalibrationSet, type PruneAllocation, type PruneMethod,
} from '../../engine/prune/index.js';
import { sha256File, TOOL_VERSION } from '../../workspace/index.js';
import { CliUsageError } from '../CliUsageError.js';
import { readTextInputs } from '../../evaluate/readTextInputs.js';
import { dataDirectoryOption, openVariantOutput, variantOutputOptions } from '../variantOutput.js';
import { numberOption, parseCommand, requiredString, withCliRuntime } from './llamaArgs.js';
import { cancelOnInterrupt } from '../cancelOnInterrupt.js';

const usage = `prune MODEL --method ${PRUNE_METHODS.join('|')} --sparsity S [--allocation uniform|global] [--calib FILE|GLOB] `
  + '[--steps N] [--distill] [--seed N] [--out OUT.gguf | --data DIR] [--json] [--threads N]';

export async function run(args: string[]): Promise<void> {
  // "--sparsity -0.1" is a bad sparsity (exit 1), not a missing option value: join a dashed value to its option
  const i = args.indexOf('--sparsity');
  if (i >= 0 && i + 1 < args.length && args[i + 1].startsWith('-')) args = [...args.slice(0, i), `--sparsity=${args[i + 1]}`, ...args.slice(i + 2)];
  const { model, values } = parseCommand('prune', args, {
    method: { type: 'string' },
    sparsity: { type: 'string' },
    allocation: { type: 'string' },
    calib: { type: 'string' },
    steps: { type: 'string' },
    distill: { type: 'boolean' },
    seed: { type: 'string' },
    ...variantOutputOptions,
  }, usage);
  const method = requiredString(values, 'method', usage) as PruneMethod;
  if (!PRUNE_METHODS.includes(method)) throw new CliUsageError(`--method must be one of ${PRUNE_METHODS.join(', ')}, not '${method}'`);
  const sparsity = parseSparsity(requiredString(values, 'sparsity', usage));
  const allocation = (values.allocation as string | undefined) ?? 'uniform';
  if (allocation !== 'uniform' && allocation !== 'global') throw new CliUsageError(`--allocation must be uniform or global, not '${allocation}'`);
  const seed = numberOption(values, 'seed', { integer: true, min: 0 }) ?? 0;
  const steps = numberOption(values, 'steps', { integer: true, min: 1 });
  const threads = numberOption({ threads: (values.threads as string | undefined) ?? process.env.MODEL_LAB_THREADS }, 'threads', { integer: true, min: 0 });
  if (typeof values.out === 'string' && typeof values.data === 'string') throw new CliUsageError('give --out or --data, not both');
  if (typeof values.out === 'string') await assertNotSameFile(model, path.resolve(values.out));

  const calibration = CALIBRATED_METHODS.has(method) ? await loadCalibration(model, values.calib as string | undefined, values) : undefined;
  // the hash cache lives in the data folder; with --out nothing is written there
  const parentSha256 = await sha256File(model, typeof values.out === 'string' ? {} : { cacheDirectory: path.join(dataDirectoryOption(values), 'cache') });
  const parameters = { method, sparsity, allocation, seed, ...(steps !== undefined ? { steps } : {}), ...(values.distill ? { distill: true } : {}) };
  const output = await openVariantOutput(values, { kind: 'pruned', method: 'prune-ffn', parent: { file: model }, parameters, dataHash: calibration?.sha256 ?? null });
  const ac = cancelOnInterrupt();
  try {
    const r = await pruneModel({
      modelPath: model, out: output.file, method, sparsity, allocation: allocation as PruneAllocation, seed, calibration, steps,
      distill: values.distill === true, parentSha256, toolVersion: TOOL_VERSION, threads: threads || undefined, signal: ac.signal,
    });
    await output.commit({ nFfBefore: r.nFfBefore, perLayerKept: r.perLayerKept, bytesBefore: r.bytesBefore, bytesAfter: r.bytesAfter, arch: r.arch, seconds: r.seconds, notes: r.notes });
    const out = { out: output.file, method: r.method, sparsity: r.sparsity, allocation: r.allocation, arch: r.arch, nFfBefore: r.nFfBefore,
      perLayerKept: r.perLayerKept, bytesBefore: r.bytesBefore, bytesAfter: r.bytesAfter, seconds: Number(r.seconds.toFixed(3)) };
    const notes = r.notes.map((n) => `note: ${n}\n`).join('');
    if (values.json) {
      process.stderr.write(notes);
      process.stdout.write(JSON.stringify(out) + '\n');
    } else {
      const kept = r.perLayerKept.reduce((a, b) => a + b, 0);
      const before = (Array.isArray(r.nFfBefore) ? r.nFfBefore : r.perLayerKept.map(() => r.nFfBefore as number)).reduce((a, b) => a + b, 0);
      process.stdout.write(notes + `${output.file}: ${r.arch}, ${method} ${allocation}, kept ${kept} of ${before} FFN neurons `
        + `(${r.perLayerKept.join('/')}), ${mb(r.bytesBefore)} → ${mb(r.bytesAfter)}, ${r.seconds.toFixed(1)} s\n`);
    }
  } catch (err) {
    await output.abandon();
    // the scoring loop's own words ("resumes from the last step") are for jobs; the CLI's prune starts over
    if (err instanceof AbortedError) throw new AbortedError('prune cancelled; nothing was written (run the command again to start over)');
    throw err;
  } finally {
    ac.dispose();
  }
}

/** The share of neurons removed: a number in [0, 1); anything else is a one-line error (exit 1). */
function parseSparsity(v: string): number {
  const s = Number(v);
  if (v.trim() === '' || !Number.isFinite(s) || s < 0 || s >= 1) {
    throw new PruneError('PRUNE_BAD_SPARSITY', `--sparsity must be a number in [0, 1) (the share of FFN neurons removed), not '${v}'`);
  }
  return s;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/**
 * Calibration windows from --calib (a file or a glob) or the built-in sample, tokenized with the model's own
 * tokenizer: ours for SPM vocabularies, llama.cpp's for the others.
 */
export async function loadCalibration(model: string, calib: string | undefined, values: Record<string, string | boolean | undefined>): Promise<CalibrationSet> {
  const texts = calib === undefined ? undefined : await readTextInputs(calib);
  const g = await readGguf(model);
  if (g.metadata[TOKENIZER.model] === 'llama') return calibrationForModel(g, texts);
  return withCliRuntime({ ...values, gpu: (values.gpu as string | undefined) ?? 'off' }, async (rt) => {
    await rt.loadModel({ id: 'model', path: model });
    return calibrationForModel(g, texts, { tokenize: (text) => rt.tokenize({ modelId: 'model', text, addBos: true }).tokens });
  });
}

