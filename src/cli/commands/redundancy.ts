// model-lab redundancy MODEL [--calib FILE|GLOB] [--seed N] [--json]
// How redundant each FFN layer's neurons are on calibration text (the built-in sample by default): uniqueness
// (share of neurons with no partner at |cos| ≥ 0.8), mean max |cos|, summed first-order sensitivity, and a sampled
// linear-span R². --json prints {"model","calibrationTokens","layers":[{layer,nFf,uniqueness,meanMaxCos,
// sensitivity,spanR2}]}.
import { readGguf } from '../../engine/gguf/index.js';
import { ffnLayout, redundancyReport } from '../../engine/prune/index.js';
import { ModelLabError } from '../../engine/errors.js';
import { numberOption, parseCommand } from './llamaArgs.js';
import { loadCalibration } from './prune.js';

const usage = 'redundancy MODEL [--calib FILE|GLOB] [--seed N] [--json] [--threads N]';
/**
 * Fewest calibration tokens whose figures mean something: the span fit takes up to T/4 regressors (32 at 128) and
 * fits on half the rows, and cosines over a handful of rows call most neurons partners. A one-character file gave
 * uniqueness and R² that looked like findings.
 */
const MIN_CALIBRATION_TOKENS = 128;

export async function run(args: string[]): Promise<void> {
  const { model, values } = parseCommand('redundancy', args, { calib: { type: 'string' }, seed: { type: 'string' } }, usage);
  const seed = numberOption(values, 'seed', { integer: true, min: 0 }) ?? 0;
  const threads = numberOption({ threads: (values.threads as string | undefined) ?? process.env.MODEL_LAB_THREADS }, 'threads', { integer: true, min: 0 });
  const file = await readGguf(model);
  const { layers } = ffnLayout(file);
  const calibration = await loadCalibration(model, values.calib as string | undefined, values);
  if (calibration.tokens < MIN_CALIBRATION_TOKENS) {
    throw new ModelLabError('PRUNE_NO_CALIBRATION', `${calibration.source} gives ${calibration.tokens} calibration tokens; redundancy needs at least ${MIN_CALIBRATION_TOKENS} for its figures to mean anything: give more text with --calib, or leave it out for the built-in sample`);
  }
  const r = await redundancyReport({ modelPath: model, file, layers, calibration, seed, threads: threads || undefined });
  const round = (x: number): number => Number(x.toPrecision(4));
  const out = {
    model, calibrationTokens: r.calibrationTokens,
    layers: r.layers.map((l) => ({ layer: l.layer, nFf: l.nFf, uniqueness: round(l.uniqueness), meanMaxCos: round(l.meanMaxCos), sensitivity: round(l.sensitivity), spanR2: round(l.spanR2) })),
  };
  if (values.json) {
    process.stdout.write(JSON.stringify(out) + '\n');
    return;
  }
  const lines = out.layers.map((l) => `${String(l.layer).padStart(5)}  ${String(l.nFf).padStart(6)}  ${l.uniqueness.toFixed(3).padStart(10)}  ${l.meanMaxCos.toFixed(3).padStart(11)}  ${l.sensitivity.toExponential(2).padStart(11)}  ${l.spanR2.toFixed(3).padStart(8)}`);
  process.stdout.write([`FFN redundancy of ${model} over ${r.calibrationTokens} calibration tokens`,
    `${'layer'.padStart(5)}  ${'n_ff'.padStart(6)}  ${'uniqueness'.padStart(10)}  ${'mean max|c|'.padStart(11)}  ${'sensitivity'.padStart(11)}  ${'span R²'.padStart(8)}`, ...lines].join('\n') + '\n');
}
