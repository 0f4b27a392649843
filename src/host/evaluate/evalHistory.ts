// Past evaluations of a data folder, as the Evaluate panel lists them: every `<data>/evals/<id>/result.json`
// (written by the panel or by `model-lab eval --data`), grouped per model/variant (with its adapter and scale),
// each group with the lineage of the variant it evaluated.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { EvalReport } from '../../evaluate/EvalReport.js';
import { reportSummary } from '../../evaluate/EvalReport.js';
import type { EvalRunGroup, EvalRunSummary, EvalSpec, EvalTarget } from '../../protocol/webviewEvaluate.js';
import { variantLineage, workspacePaths, type Variant } from '../../workspace/index.js';

/** What the panel wrote beside result.json: the request as asked, so a rerun asks the same. */
export const REQUEST_FILE = 'request.json';

export interface StoredRun {
  dir: string;
  report: EvalReport;
  /** The panel's request, or one rebuilt from the report (a CLI run); null when the inputs cannot be named again. */
  spec: EvalSpec | null;
}

const fmt = (x: unknown, digits = 3): string => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(digits) : '–');

export function headline(r: EvalReport): string {
  switch (r.kind) {
    case 'perplexity':
      return `perplexity ${fmt(r.result.ppl)} over ${r.result.tokens} tokens (${r.result.files.length} file${r.result.files.length === 1 ? '' : 's'})`;
    case 'preference-accuracy':
      return `accuracy ${fmt(r.result.accuracy)} on ${r.result.pairs} pairs, mean margin ${fmt(r.result.meanMargin, 2)}`
        + (r.withoutAdapter ? ` (without the adapter ${fmt(r.withoutAdapter.accuracy)})` : '');
    case 'win-rate':
      return `win-rate ${fmt(r.result.winRate)} against ${r.against.label} over ${r.result.n} prompts (${r.result.wins} wins, ${r.result.ties} ties, ${r.result.losses} losses)`;
  }
}

function targetOf(m: EvalReport['model']): EvalTarget {
  return { modelId: m.file, ...(m.lora ? { adapterPath: m.lora.file, adapterScale: m.lora.scale } : {}) };
}

/** A request that repeats a run the CLI made (its report names every input by absolute path). */
export function specFromReport(r: EvalReport): EvalSpec | null {
  const target = targetOf(r.model);
  switch (r.kind) {
    case 'perplexity':
      return r.inputs.length === 1 && path.isAbsolute(r.inputs[0]!) ? { kind: 'perplexity', target, input: { from: 'glob', pattern: r.inputs[0]! } } : null;
    case 'preference-accuracy':
      return { kind: 'preference-accuracy', target, pairs: { from: 'file', path: r.pairsFile } };
    case 'win-rate':
      return {
        kind: 'win-rate', target, against: targetOf(r.against), judge: targetOf(r.judge), promptsFile: r.promptsFile,
        maxTokens: r.sampling.maxTokens, rubric: r.rubric,
      };
  }
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every finished run of the data folder (a folder without result.json is a run in progress, or one that failed). */
export async function readEvalRuns(dataDirectory: string): Promise<StoredRun[]> {
  const root = workspacePaths(dataDirectory).evals;
  const names = await fs.readdir(root).catch(() => [] as string[]);
  const out: StoredRun[] = [];
  for (const name of names.sort()) {
    const dir = path.join(root, name);
    const report = (await readJson(path.join(dir, 'result.json'))) as EvalReport | undefined;
    if (!report || report.schemaVersion !== 1 || !['perplexity', 'preference-accuracy', 'win-rate'].includes(report.kind) || !report.model?.file) continue;
    const asked = (await readJson(path.join(dir, REQUEST_FILE))) as EvalSpec | undefined;
    out.push({ dir, report, spec: asked?.kind === report.kind ? asked : specFromReport(report) });
  }
  return out;
}

export function summarizeRun(run: StoredRun): EvalRunSummary {
  return {
    id: path.basename(run.dir),
    kind: run.report.kind,
    created: run.report.created,
    headline: headline(run.report),
    figures: reportSummary(run.report),
    reportPath: path.join(run.dir, 'report.html'),
    rerunnable: run.spec !== null,
  };
}

/** A variant's adapter by its variant id (its folder), any other adapter by its file name. */
export const adapterName = (file: string): string => (path.basename(file) === 'adapter.gguf' ? path.basename(path.dirname(file)) : path.basename(file));

/** The variant chain of a file: its variant, that variant's parent variant, …, then the base model's file name. */
function lineageOf(file: string, variants: readonly Variant[]): string[] {
  const v = variants.find((x) => path.resolve(x.path) === path.resolve(file));
  if (!v) return [];
  const l = variantLineage(variants, v.id);
  if (!l) return [];
  return [...l.chain.map((x) => x.id), l.complete ? path.basename(l.base.file) : `${l.base.variant ?? path.basename(l.base.file)} (missing)`];
}

/**
 * Runs grouped per evaluated model (file + adapter + scale), newest run first in each group and the group with the
 * newest run first. `nameOf` gives a model file's name in the Models view (the report's label otherwise).
 */
export function groupRuns(runs: readonly StoredRun[], variants: readonly Variant[], nameOf: (file: string) => string | undefined): EvalRunGroup[] {
  const groups = new Map<string, EvalRunGroup & { newest: string }>();
  for (const run of runs) {
    const m = run.report.model;
    const key = JSON.stringify([path.resolve(m.file), m.lora ? path.resolve(m.lora.file) : null, m.lora?.scale ?? null]);
    let g = groups.get(key);
    if (!g) {
      const name = nameOf(m.file) ?? m.label;
      const label = m.lora ? `${name} + ${adapterName(m.lora.file)} × ${m.lora.scale}` : name;
      g = { key, label, lineage: lineageOf(m.lora?.file ?? m.file, variants), runs: [], newest: '' };
      groups.set(key, g);
    }
    g.runs.push(summarizeRun(run));
    if (run.report.created > g.newest) g.newest = run.report.created;
  }
  return [...groups.values()]
    .sort((a, b) => b.newest.localeCompare(a.newest))
    .map(({ newest: _newest, ...g }) => ({ ...g, runs: g.runs.sort((a, b) => b.created.localeCompare(a.created)) }));
}
