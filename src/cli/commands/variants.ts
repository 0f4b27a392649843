// model-lab variants [--data DIR] [--json]
// The variants registered in a data folder (default `.model-lab` in the current folder), with their lineage.
// --json prints one array: [{ id, kind, file, sha256, parent: { file, sha256, variant }, method, created, metrics }]
// (file: the variant's GGUF, absolute). Folders that cannot be listed are named on stderr as warnings; unfinished
// variants (a job still writing, or one that crashed) are not listed.
import { parseArgs } from 'node:util';
import { listVariants, type Variant } from '../../workspace/index.js';
import { CliUsageError } from '../CliUsageError.js';
import { dataDirectoryOption } from '../variantOutput.js';

const usage = 'usage: model-lab variants [--data DIR] [--json]';

export async function run(args: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { data: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: false, strict: true });
  } catch (err) {
    throw new CliUsageError(`${(err as Error).message.split('\n')[0]} (${usage})`);
  }
  const data = dataDirectoryOption(parsed.values);
  const listing = await listVariants(data);
  for (const p of listing.problems) process.stderr.write(`warning: ${p.dir}: ${p.reason}\n`);
  if (parsed.values.json) {
    const rows = listing.variants.map((v) => ({
      id: v.id,
      kind: v.kind,
      file: v.path,
      sha256: v.sha256,
      parent: v.parent,
      method: v.method,
      created: v.created,
      metrics: v.metrics,
    }));
    process.stdout.write(JSON.stringify(rows) + '\n');
    return;
  }
  process.stdout.write(formatTree(data, listing.variants, listing.pending.length));
}

/** Variants under their base model file, each under its parent variant. */
function formatTree(data: string, variants: Variant[], pending: number): string {
  if (variants.length === 0) return `no variants in ${data}${pending ? ` (${pending} unfinished)` : ''}\n`;
  const ids = new Set(variants.map((v) => v.id));
  const children = new Map<string, Variant[]>();
  const bases = new Map<string, Variant[]>(); // by the base's sha256: one model under two paths is one base
  const baseFile = new Map<string, string>();
  for (const v of variants) {
    if (v.parent.variant !== null && ids.has(v.parent.variant)) {
      children.set(v.parent.variant, [...(children.get(v.parent.variant) ?? []), v]);
    } else {
      bases.set(v.parent.sha256, [...(bases.get(v.parent.sha256) ?? []), v]);
      if (!baseFile.has(v.parent.sha256)) baseFile.set(v.parent.sha256, v.parent.variant ? `${v.parent.file} (variant ${v.parent.variant}, not listed)` : v.parent.file);
    }
  }
  const lines: string[] = [];
  const seen = new Set<string>();
  const show = (v: Variant, depth: number) => {
    if (seen.has(v.id)) return;
    seen.add(v.id);
    const metrics = Object.entries(v.metrics)
      .filter(([, x]) => typeof x === 'number' || typeof x === 'string')
      .map(([k, x]) => `${k}=${typeof x === 'number' ? Number(x.toPrecision(4)) : x}`)
      .join(' ');
    lines.push(`${'  '.repeat(depth)}${v.id}  ${v.kind}  ${v.method}  ${v.created.replace('T', ' ').slice(0, 16)}${metrics ? `  ${metrics}` : ''}`);
    for (const c of children.get(v.id) ?? []) show(c, depth + 1);
  };
  for (const [sha, roots] of bases) {
    lines.push(`${baseFile.get(sha)}  sha256 ${sha.slice(0, 12)}…`);
    for (const v of roots) show(v, 1);
  }
  // Parents that form a loop never reach a base: list them rather than hide them.
  for (const v of variants) if (!seen.has(v.id)) show(v, 0);
  if (pending) lines.push(`(${pending} unfinished variant folder${pending === 1 ? '' : 's'})`);
  return lines.join('\n') + '\n';
}
