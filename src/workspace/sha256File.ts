import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { throwIfAborted } from '../engine/errors.js';
import { writeJsonAtomic } from './writeFileAtomic.js';

export interface Sha256Options {
  /**
   * A folder for `sha256.json`, a cache keyed by absolute path and checked by size and modification time, so a
   * 2.4 GB base model is hashed once and not at every prune or train (each CLI run is a new process). Omit it to
   * use only this process's memory.
   */
  cacheDirectory?: string;
  signal?: AbortSignal;
  /** Bytes hashed so far and the file's size, at most every 64 MB. */
  onProgress?: (done: number, total: number) => void;
}

interface CacheEntry {
  size: number;
  mtimeMs: number;
  sha256: string;
}

const memory = new Map<string, CacheEntry>();
const CACHE_FILE = 'sha256.json';
const MAX_CACHE_ENTRIES = 1000;
const PROGRESS_EVERY = 64 << 20;

const fresh = (e: CacheEntry | undefined, st: { size: number; mtimeMs: number }): e is CacheEntry =>
  !!e && e.size === st.size && e.mtimeMs === st.mtimeMs && /^[0-9a-f]{64}$/.test(e.sha256);

async function readCache(dir: string): Promise<Record<string, CacheEntry>> {
  try {
    const parsed: unknown = JSON.parse(await fs.readFile(path.join(dir, CACHE_FILE), 'utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, CacheEntry>) : {};
  } catch {
    return {}; // missing or damaged: a cache is only ever a shortcut
  }
}

/** The file's SHA-256 (lower-case hex), streamed: memory use does not grow with the file. */
export async function sha256File(file: string, opts: Sha256Options = {}): Promise<string> {
  const abs = path.resolve(file);
  const st = await fs.stat(abs);
  const known = memory.get(abs);
  if (fresh(known, st)) return known.sha256;
  if (opts.cacheDirectory) {
    const onDisk = (await readCache(opts.cacheDirectory))[abs];
    if (fresh(onDisk, st)) {
      memory.set(abs, onDisk);
      return onDisk.sha256;
    }
  }

  const hash = createHash('sha256');
  let done = 0;
  let reported = 0;
  for await (const chunk of createReadStream(abs, { highWaterMark: 1 << 20, signal: opts.signal })) {
    hash.update(chunk as Buffer);
    done += (chunk as Buffer).length;
    if (opts.onProgress && done - reported >= PROGRESS_EVERY) {
      reported = done;
      opts.onProgress(done, st.size);
    }
  }
  throwIfAborted(opts.signal);
  const sha256 = hash.digest('hex');
  opts.onProgress?.(done, st.size);

  // Cache only when the file did not change while it was read.
  const after = await fs.stat(abs);
  if (after.size !== st.size || after.mtimeMs !== st.mtimeMs) return sha256;
  const entry = { size: st.size, mtimeMs: st.mtimeMs, sha256 };
  memory.set(abs, entry);
  if (opts.cacheDirectory) {
    // Another process may write the cache at the same time: the last writer wins and the loser's entry is simply
    // computed again next time.
    const cache = await readCache(opts.cacheDirectory);
    cache[abs] = entry;
    const keys = Object.keys(cache);
    for (const k of keys.slice(0, Math.max(0, keys.length - MAX_CACHE_ENTRIES))) delete cache[k];
    await fs.mkdir(opts.cacheDirectory, { recursive: true });
    await writeJsonAtomic(path.join(opts.cacheDirectory, CACHE_FILE), cache);
  }
  return sha256;
}

/** Forgets this process's in-memory hashes (tests use it to prove the on-disk cache is read). */
export function clearSha256Memory(): void {
  memory.clear();
}
