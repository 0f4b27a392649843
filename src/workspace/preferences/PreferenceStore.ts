/**
 * The preference store: `<data>/preferences.jsonl`, one event per line (schema.ts), that never loses an
 * acknowledged label.
 *
 * - Append: every line is validated, then written with one write() of the whole line (or of a batch of whole
 *   lines) to a file opened O_APPEND, and fsync'ed before the call resolves; the directory is fsync'ed when the
 *   file is created. A failed write is cut back to the previous length, so a reader never sees half a line from a
 *   writer that is still alive.
 * - One writer at a time across windows and processes: every append and every repair holds `<file>.lock`
 *   (FileLock.ts). The file is opened per append, never kept open, so a repair's rename cannot strand a writer on
 *   the old inode.
 * - Open repairs what a crash can leave: a last line without its newline (a torn write) and lines that are not JSON
 *   at all are moved, byte for byte, to `<file>.corrupt`, and reported with their line numbers. Lines that are JSON
 *   but fail the schema stay where they are (a newer Model Lab may have written them) and every read reports them.
 * - Edits and deletes are appended events (revise/delete/restore), so undo is one more event and a crash during an
 *   edit loses at most that edit.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { workspacePaths } from '../workspacePaths.js';
import { writeFileAtomic } from '../writeFileAtomic.js';
import { foldEvents, type LineProblem, type RecordState } from './foldEvents.js';
import { withFileLock, type FileLockOptions } from './FileLock.js';
import { PreferenceStoreError } from './PreferenceStoreError.js';
import {
  PREFERENCE_SCHEMA_VERSION,
  validateEvent,
  type ComparisonEvent,
  type FeedbackEvent,
  type PreferenceEvent,
  type PreferenceRecord,
} from './schema.js';

/** What open() found and moved aside. */
export interface RecoveryReport {
  corruptPath: string;
  /** Bytes of a torn last line (0 when the file ended cleanly). */
  tornBytes: number;
  /** Lines (1-based, numbered as before the repair) moved to the .corrupt file, with why. */
  moved: LineProblem[];
}

export interface StoreSnapshot {
  /** Current records (latest revision), deleted ones left out, in creation order. */
  records: PreferenceRecord[];
  /** Every record with its state, deleted ones included (for undo and the dataset view). */
  states: RecordState[];
  /** Lines that failed to parse, failed the schema, or contradict earlier events — with 1-based line numbers. */
  problems: LineProblem[];
  /** Valid events read. */
  events: number;
  /** The file ended in the middle of a line: a writer is appending right now (the next open repairs a crash). */
  pendingTail: boolean;
}

/** Fields the store fills in when a caller adds a record. */
export type NewRecord<T extends PreferenceRecord> = T extends PreferenceRecord ? Omit<T, 'schema' | 'id' | 'createdAt'> & Partial<Pick<T, 'id' | 'createdAt'>> : never;

interface ParsedLine {
  line: number;
  raw: Buffer;
  value?: unknown;
  parseError?: string;
}

function splitLines(buf: Buffer): { lines: ParsedLine[]; tail: Buffer; count: number } {
  const lines: ParsedLine[] = [];
  let start = 0;
  let n = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) break;
    n++;
    const raw = buf.subarray(start, nl);
    start = nl + 1;
    if (raw.length === 0 || (raw.length === 1 && raw[0] === 0x0d)) continue;
    try {
      lines.push({ line: n, raw, value: JSON.parse(raw.toString('utf8')) });
    } catch (err) {
      lines.push({ line: n, raw, parseError: `not JSON: ${(err as Error).message.split('\n')[0]}` });
    }
  }
  return { lines, tail: buf.subarray(start), count: n };
}

async function readOrEmpty(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw err;
  }
}

/** Makes a new or renamed entry of `dir` durable; Windows cannot open a folder for fsync (the rename is enough there). */
async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // Some file systems refuse fsync on a folder; the file's own data is already on disk.
  } finally {
    await fh.close();
  }
}

function ioError(err: unknown, file: string): PreferenceStoreError {
  if (err instanceof PreferenceStoreError) return err;
  const e = err as NodeJS.ErrnoException;
  return new PreferenceStoreError('STORE_IO', `Cannot write the preference store ${file}: ${e.code ?? e.message}.`);
}

export class PreferenceStore {
  private constructor(
    readonly file: string,
    /** What open() repaired, or null when the file was clean. */
    readonly recovery: RecoveryReport | null,
    private readonly lockOptions: FileLockOptions,
  ) {}

  get corruptPath(): string {
    return `${this.file}.corrupt`;
  }

  /** Opens (and if needed repairs) the store at `file`; its folder is created. */
  static async open(file: string, opts: { lock?: FileLockOptions } = {}): Promise<PreferenceStore> {
    await mkdir(path.dirname(file), { recursive: true });
    const lock = opts.lock ?? {};
    const recovery = await withFileLock(file, () => PreferenceStore.repair(file), lock);
    return new PreferenceStore(file, recovery, lock);
  }

  /** The store of a data folder (`<data>/preferences.jsonl`). */
  static openInDataDir(dataDir: string, opts: { lock?: FileLockOptions } = {}): Promise<PreferenceStore> {
    return PreferenceStore.open(workspacePaths(dataDir).preferences, opts);
  }

  private static async repair(file: string): Promise<RecoveryReport | null> {
    const buf = await readOrEmpty(file);
    const { lines, tail, count } = splitLines(buf);
    const bad = lines.filter((l) => l.parseError !== undefined);
    if (tail.length === 0 && bad.length === 0) return null;
    const corruptPath = `${file}.corrupt`;
    const moved: LineProblem[] = bad.map((l) => ({ line: l.line, error: l.parseError! }));
    if (tail.length > 0) moved.push({ line: count + 1, error: `torn last line (${tail.length} bytes, no newline): an interrupted write` });
    try {
      // Keep the bytes first, then cut them from the store: a crash in between duplicates, never loses.
      const aside = Buffer.concat([...bad.flatMap((l) => [l.raw, Buffer.from('\n')]), ...(tail.length ? [tail, Buffer.from('\n')] : [])]);
      const fh = await open(corruptPath, 'a');
      try {
        await fh.write(aside);
        await fh.sync();
      } finally {
        await fh.close();
      }
      if (bad.length === 0) {
        const w = await open(file, 'r+');
        try {
          await w.truncate(buf.length - tail.length);
          await w.sync();
        } finally {
          await w.close();
        }
      } else {
        const keep = new Set(bad.map((l) => l.line));
        await writeFileAtomic(file, Buffer.concat(lines.filter((l) => !keep.has(l.line)).flatMap((l) => [l.raw, Buffer.from('\n')])));
      }
      await fsyncDir(path.dirname(file));
    } catch (err) {
      throw ioError(err, file);
    }
    return { corruptPath, tornBytes: tail.length, moved: moved.sort((a, b) => a.line - b.line) };
  }

  /**
   * Appends events durably: all are validated first (nothing is written if one fails), then written in one write
   * and fsync'ed. Resolves only when they are on disk.
   */
  async append(events: PreferenceEvent | PreferenceEvent[]): Promise<void> {
    const list = Array.isArray(events) ? events : [events];
    if (list.length === 0) return;
    for (const [i, e] of list.entries()) {
      const err = validateEvent(e);
      if (err) throw new PreferenceStoreError('STORE_INVALID_EVENT', `Event ${i + 1} of ${list.length} does not fit the preference schema: ${err}`);
    }
    const data = Buffer.from(list.map((e) => JSON.stringify(e) + '\n').join(''), 'utf8');
    await withFileLock(this.file, () => this.writeLocked(data), this.lockOptions);
  }

  private async writeLocked(data: Buffer): Promise<void> {
    const before = await stat(this.file).then(
      (s) => s.size,
      () => -1,
    );
    let fh;
    try {
      fh = await open(this.file, 'a');
    } catch (err) {
      throw ioError(err, this.file);
    }
    try {
      let done = 0;
      while (done < data.length) {
        const { bytesWritten } = await fh.write(data, done, data.length - done);
        done += bytesWritten;
      }
      await fh.sync();
    } catch (err) {
      // Leave no half line behind (a full disk, say): cut back to what was there.
      await fh.truncate(Math.max(0, before)).catch(() => undefined);
      throw ioError(err, this.file);
    } finally {
      await fh.close();
    }
    if (before < 0) await fsyncDir(path.dirname(this.file)).catch(() => undefined);
  }

  /** Reads and validates every line and folds the events into the current records. */
  async read(): Promise<StoreSnapshot> {
    const { lines, tail } = splitLines(await readOrEmpty(this.file));
    const problems: LineProblem[] = [];
    const events: Array<{ line: number; event: PreferenceEvent }> = [];
    for (const l of lines) {
      if (l.parseError !== undefined) {
        problems.push({ line: l.line, error: l.parseError });
        continue;
      }
      const err = validateEvent(l.value);
      if (err) problems.push({ line: l.line, error: err });
      else events.push({ line: l.line, event: l.value as PreferenceEvent });
    }
    const folded = foldEvents(events);
    problems.push(...folded.problems);
    problems.sort((a, b) => a.line - b.line);
    return {
      records: folded.states.filter((s) => !s.deleted).map((s) => s.record),
      states: folded.states,
      problems,
      events: events.length,
      pendingTail: tail.length > 0,
    };
  }

  /** Stamps a new comparison or feedback record (schema, id, time) without writing it. */
  static stamp<T extends PreferenceRecord>(record: NewRecord<T>): T {
    // Key order (schema, kind, id, createdAt first) keeps the file readable by eye.
    const { id, createdAt, kind, ...rest } = record as NewRecord<PreferenceRecord>;
    return { schema: PREFERENCE_SCHEMA_VERSION, kind, id: id ?? randomUUID(), createdAt: createdAt ?? new Date().toISOString(), ...rest } as unknown as T;
  }

  /** Adds one labelled comparison; returns it as stored. */
  async addComparison(record: Omit<NewRecord<ComparisonEvent>, 'kind'>): Promise<ComparisonEvent> {
    const r = PreferenceStore.stamp<ComparisonEvent>({ ...record, kind: 'comparison' });
    await this.append(r);
    return r;
  }

  /** Adds one single-response feedback event (reward +1 / −1). */
  async addFeedback(record: Omit<NewRecord<FeedbackEvent>, 'kind'>): Promise<FeedbackEvent> {
    const r = PreferenceStore.stamp<FeedbackEvent>({ ...record, kind: 'feedback' });
    await this.append(r);
    return r;
  }

  private async requireRecord(id: string): Promise<void> {
    const snap = await this.read();
    if (!snap.states.some((s) => s.record.id === id)) throw new PreferenceStoreError('STORE_UNKNOWN_RECORD', `No preference record with id "${id}" in ${this.file}.`);
  }

  /** Replaces a record's content (same id); the previous content stays in the file for undo. */
  async revise(record: PreferenceRecord): Promise<void> {
    await this.requireRecord(record.id);
    await this.append({ schema: PREFERENCE_SCHEMA_VERSION, kind: 'revise', id: randomUUID(), createdAt: new Date().toISOString(), target: record.id, record });
  }

  async delete(id: string): Promise<void> {
    await this.requireRecord(id);
    await this.append({ schema: PREFERENCE_SCHEMA_VERSION, kind: 'delete', id: randomUUID(), createdAt: new Date().toISOString(), target: id });
  }

  /** Undoes a delete. */
  async restore(id: string): Promise<void> {
    await this.requireRecord(id);
    await this.append({ schema: PREFERENCE_SCHEMA_VERSION, kind: 'restore', id: randomUUID(), createdAt: new Date().toISOString(), target: id });
  }
}
