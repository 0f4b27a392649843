// model-lab pairs import FILE [--data DIR] [--json]
// model-lab pairs export --format trl|hf|csv --out FILE [--data DIR] [--shape auto|standard|conversational] [--ties skip|keep] [--json]
// model-lab pairs stats [--data DIR] [--json]
// The preference store `<data>/preferences.jsonl` (default data folder: ./.model-lab). import prints
// {"imported", "skipped": [{"line", "error"}]} with --json (1-based lines; the valid rows are imported anyway);
// export writes the file atomically; stats prints {"records", "pairs", "ties", …}. A repaired store (a torn last
// line moved to .corrupt) and lines the store cannot read are reported on stderr, never dropped silently.
import { parseArgs } from 'node:util';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ModelLabError } from '../../engine/errors.js';
import { DEFAULT_DATA_DIRECTORY } from '../../workspace/workspacePaths.js';
import { writeFileAtomic } from '../../workspace/writeFileAtomic.js';
import {
  derivePairs,
  EXPORT_FORMATS,
  formatPairs,
  importTrl,
  preferenceStats,
  PreferenceStore,
  type ExportFormat,
  type StoreSnapshot,
} from '../../workspace/preferences/index.js';
import { CliUsageError } from '../CliUsageError.js';

const usage = [
  'usage: model-lab pairs import FILE [--data DIR] [--json]',
  '       model-lab pairs export --format trl|hf|csv --out FILE [--data DIR] [--shape auto|standard|conversational] [--ties skip|keep] [--json]',
  '       model-lab pairs stats [--data DIR] [--json]',
].join('\n');

const options = {
  data: { type: 'string' },
  json: { type: 'boolean' },
  format: { type: 'string' },
  out: { type: 'string' },
  shape: { type: 'string' },
  ties: { type: 'string' },
} as const;

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback?: T): T {
  if (value === undefined && fallback !== undefined) return fallback;
  if (value === undefined || !allowed.includes(value as T)) throw new CliUsageError(`--${name} must be one of ${allowed.join(', ')}`);
  return value as T;
}

async function openStore(data: string | undefined): Promise<PreferenceStore> {
  const store = await PreferenceStore.openInDataDir(data ?? DEFAULT_DATA_DIRECTORY);
  const r = store.recovery;
  if (r) {
    for (const m of r.moved) process.stderr.write(`model-lab pairs: ${store.file}:${m.line}: ${m.error}; moved to ${r.corruptPath}\n`);
  }
  return store;
}

function reportProblems(store: PreferenceStore, snap: StoreSnapshot): void {
  for (const p of snap.problems) process.stderr.write(`model-lab pairs: ${store.file}:${p.line}: ${p.error}\n`);
}

export async function run(args: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CliUsageError(`${(err as Error).message.split('\n')[0]}`);
  }
  const [sub, ...pos] = parsed.positionals;
  const v = parsed.values;
  const print = (json: unknown, text: string): void => void process.stdout.write(v.json ? JSON.stringify(json) + '\n' : text);
  if (sub === 'import') {
    const [file, ...extra] = pos;
    if (!file || extra.length > 0) throw new CliUsageError(usage.split('\n')[0]);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw new ModelLabError('FILE_NOT_FOUND', `cannot open '${file}': no such file`);
    const store = await openStore(v.data);
    const result = await importTrl(store, file);
    const lines = result.skipped.map((s) => `  line ${s.line}: ${s.error}\n`).join('');
    print(result, `imported ${result.imported} pair(s) into ${store.file}; skipped ${result.skipped.length}\n${lines}`);
    return;
  }
  if (sub === 'export') {
    if (pos.length > 0) throw new CliUsageError(usage.split('\n')[1].trim());
    const format = oneOf<ExportFormat>('format', v.format, EXPORT_FORMATS);
    const shape = oneOf('shape', v.shape, ['auto', 'standard', 'conversational'] as const, 'auto');
    const ties = oneOf('ties', v.ties, ['skip', 'keep'] as const, 'skip');
    if (!v.out) throw new CliUsageError('--out FILE is required');
    const store = await openStore(v.data);
    const snap = await store.read();
    reportProblems(store, snap);
    const derived = derivePairs(snap.records, { ties });
    const out = formatPairs(derived.pairs, { format, shape });
    // as --out everywhere else: a missing folder is made; a folder is not a file name
    if ((await stat(v.out).catch(() => undefined))?.isDirectory()) throw new CliUsageError(`--out ${v.out} is a folder; give a file name`);
    await mkdir(path.dirname(path.resolve(v.out)), { recursive: true });
    await writeFileAtomic(v.out, out.text);
    const summary = { file: v.out, format, shape: out.shape, rows: out.rows, unrepresentable: out.unrepresentable, tiesLeftOut: out.tiesLeftOut, duplicates: derived.duplicates, identical: derived.identical };
    const notes = [
      out.unrepresentable ? `${out.unrepresentable} pair(s) cannot be written as ${out.shape} (try --shape)` : '',
      out.tiesLeftOut ? `${out.tiesLeftOut} tie pair(s) left out (TRL has no tie format; use --format hf or csv)` : '',
    ].filter(Boolean);
    print(summary, `wrote ${out.rows} pair(s) to ${v.out} (${format}${format === 'csv' ? '' : `, ${out.shape}`})\n${notes.map((n) => `  ${n}\n`).join('')}`);
    return;
  }
  if (sub === 'stats') {
    if (pos.length > 0) throw new CliUsageError(usage.split('\n')[2].trim());
    const store = await openStore(v.data);
    const snap = await store.read();
    reportProblems(store, snap);
    const s = preferenceStats(snap.records);
    const models = Object.entries(s.perModel).map(([m, x]) => `  ${m}: ${x.candidates} candidate(s), best ${x.best}\n`).join('');
    print(
      { ...s, problems: snap.problems.length },
      `${s.records} record(s): ${s.comparisons} comparison(s), feedback +${s.feedback.positive}/−${s.feedback.negative}\n` +
        `${s.pairs} pair(s), ${s.ties} tie(s) (tie rate ${(100 * s.tieRate).toFixed(1)}%), ${s.withGold} with gold, ${s.allBad} all bad\n${models}`,
    );
    return;
  }
  throw new CliUsageError(sub ? `unknown pairs command '${sub}'\n${usage}` : usage);
}
