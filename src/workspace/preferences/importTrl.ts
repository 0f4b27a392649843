/**
 * Imports a TRL preference JSONL file into the store. Every valid row is imported even when others are not; each
 * skipped row is reported with its 1-based line number and why. A row whose pair the store already yields (the same
 * file imported twice, or a repeated row) is skipped as a duplicate, so importing is idempotent and import then
 * export gives back the valid rows.
 */
import { derivePairs, type PreferencePair } from './derivePairs.js';
import { PreferenceStore } from './PreferenceStore.js';
import type { ComparisonEvent } from './schema.js';
import { trlRowToComparison } from './trlFormat.js';
import { throwIfAborted } from '../../engine/errors.js';
import { readUtf8File } from '../readUtf8File.js';

export interface ImportResult {
  imported: number;
  skipped: Array<{ line: number; error: string }>;
}

const pairKey = (p: PreferencePair): string => JSON.stringify([p.prompt, p.chosen.messages ?? p.chosen.text, p.rejected.messages ?? p.rejected.text]);

export async function importTrl(store: PreferenceStore, file: string, opts: { signal?: AbortSignal; batch?: number } = {}): Promise<ImportResult> {
  const text = await readUtf8File(file);
  const seen = new Set(derivePairs((await store.read()).records).pairs.map(pairKey));
  const skipped: ImportResult['skipped'] = [];
  const pending: ComparisonEvent[] = [];
  let imported = 0;
  const batch = opts.batch ?? 500;
  // One fsync per batch, not per row: an interrupted import keeps whole batches (rerunning skips them as duplicates).
  const flush = async (): Promise<void> => {
    throwIfAborted(opts.signal);
    await store.append(pending);
    imported += pending.length;
    pending.length = 0;
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    if (raw.trim() === '') continue;
    try {
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (err) {
        throw new Error(`not JSON: ${(err as Error).message.split('\n')[0]}`, { cause: err });
      }
      const record = PreferenceStore.stamp<ComparisonEvent>(trlRowToComparison(value));
      const key = pairKey(derivePairs([record]).pairs[0]);
      if (seen.has(key)) throw new Error('duplicate: the store already has this prompt, chosen and rejected');
      seen.add(key);
      pending.push(record);
    } catch (err) {
      skipped.push({ line: i + 1, error: (err as Error).message });
    }
    if (pending.length >= batch) await flush();
  }
  if (pending.length > 0) await flush();
  return { imported, skipped };
}
