/**
 * The host's view of the preference store: opens it once per data folder (reporting a repair in the log), reads
 * the current records with a search filter, and tells listeners when a label, edit or delete changed the data —
 * the Label panel and the Dataset view share this one object, so both always show the same file.
 */
import { ModelLabError } from '../../engine/errors.js';
import { preferenceStats, PreferenceStore, type PreferenceRecord, type PreferenceStats, type StoreSnapshot } from '../../workspace/preferences/index.js';
import type { Disposable, Event, Listener } from '../vscodeApi/HostApi.js';

export interface DatasetView {
  records: PreferenceRecord[];
  /** Over every current record, not only the filtered ones. */
  stats: PreferenceStats;
  problems: StoreSnapshot['problems'];
  file: string;
}

/** Text a search matches: prompt, candidates, gold, rationale, models, file, language. */
function searchText(r: PreferenceRecord): string {
  const parts = [r.prompt.text ?? '', ...(r.prompt.messages ?? []).map((m) => m.content), r.context?.file ?? '', r.context?.language ?? ''];
  if (r.kind === 'comparison') parts.push(...r.candidates.flatMap((c) => [c.text, c.model ?? '', c.variant ?? '']), r.gold?.text ?? '', r.rationale ?? '');
  else parts.push(r.response.text, r.response.model ?? '');
  return parts.join('\n').toLowerCase();
}

export class PreferenceDataset implements Disposable {
  private store: PreferenceStore | null = null;
  private storeDir: string | null = null;
  private readonly listeners = new Set<Listener<void>>();
  filter = '';

  constructor(
    private readonly dataDirectory: () => string | null,
    private readonly log: (line: string) => void,
  ) {}

  /** The store of the current data folder; NO_DATA_FOLDER without a trusted workspace folder. */
  async open(): Promise<PreferenceStore> {
    const dir = this.dataDirectory();
    if (!dir) throw new ModelLabError('NO_DATA_FOLDER', 'Open a trusted workspace folder to keep labels: they go to its .model-lab/preferences.jsonl.');
    if (this.store && this.storeDir === dir) return this.store;
    const store = await PreferenceStore.openInDataDir(dir);
    const r = store.recovery;
    if (r) this.log(`[label] repaired ${store.file}: ${r.moved.map((m) => `line ${m.line} (${m.error})`).join('; ')}; the bytes are kept in ${r.corruptPath}`);
    this.store = store;
    this.storeDir = dir;
    return store;
  }

  /** Current records (newest first) that match the filter, with stats over all of them. */
  async view(): Promise<DatasetView> {
    const store = await this.open();
    const snap = await store.read();
    for (const p of snap.problems) this.log(`[label] ${store.file}:${p.line}: ${p.error}`);
    const q = this.filter.trim().toLowerCase();
    const records = snap.records.filter((r) => !q || searchText(r).includes(q)).reverse();
    return { records, stats: preferenceStats(snap.records), problems: snap.problems, file: store.file };
  }

  readonly onDidChange: Event<void> = (l) => {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  };

  changed(): void {
    for (const l of [...this.listeners]) l();
  }

  setFilter(filter: string): void {
    this.filter = filter;
    this.changed();
  }

  async delete(id: string): Promise<void> {
    await (await this.open()).delete(id);
    this.changed();
  }

  async restore(id: string): Promise<void> {
    await (await this.open()).restore(id);
    this.changed();
  }

  dispose(): void {
    this.listeners.clear();
  }
}
