/**
 * A lock file for one writer at a time across windows and processes: `<file>.lock` is created with O_EXCL and holds
 * `{ pid, host, time, token }`. A lock whose process is gone (same host, pid not alive) or that is older than
 * `staleMs` (another host, or a stopped process) is taken over.
 *
 * Taking over is itself serialized by a second, short-lived lock (`<file>.lock.break`): without it two processes
 * that both saw the same dead holder could each delete the lock, and the second would delete the first one's fresh
 * lock. Under the break lock the holder is read again and only removed if it is still the stale one.
 */
import { hostname } from 'node:os';
import { open, readFile, unlink, stat } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { PreferenceStoreError } from './PreferenceStoreError.js';

export interface LockHolder {
  pid: number;
  host: string;
  time: string;
  token: string;
}

export interface FileLockOptions {
  /** Give up after this long (default 15 s): STORE_LOCKED names the holder. */
  waitMs?: number;
  /** A lock older than this is stale whatever its pid (default 60 s; an append holds it for milliseconds). */
  staleMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(path: string): Promise<{ holder: LockHolder | null; raw: string; mtimeMs: number } | null> {
  try {
    const [raw, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    let holder: LockHolder | null = null;
    try {
      holder = JSON.parse(raw) as LockHolder;
    } catch {
      // A holder killed between create and write leaves an empty or partial file: judged by its age alone.
    }
    return { holder, raw, mtimeMs: info.mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function isStale(h: { holder: LockHolder | null; mtimeMs: number }, staleMs: number): boolean {
  const age = Date.now() - h.mtimeMs;
  if (age > staleMs) return true;
  if (!h.holder || typeof h.holder.pid !== 'number') return age > 2000;
  return h.holder.host === hostname() && !pidAlive(h.holder.pid);
}

async function tryCreate(path: string, content: string): Promise<boolean> {
  try {
    const fh = await open(path, 'wx');
    try {
      await fh.writeFile(content);
    } finally {
      await fh.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

async function removeIfSame(path: string, raw: string): Promise<void> {
  const now = await readHolder(path);
  if (now && now.raw === raw) await unlink(path).catch(() => undefined);
}

/** Holds `<file>.lock` while `fn` runs. Reentrant calls from one process must not nest (the store never does). */
export async function withFileLock<T>(file: string, fn: () => Promise<T>, opts: FileLockOptions = {}): Promise<T> {
  const lockPath = `${file}.lock`;
  const breakPath = `${file}.lock.break`;
  const waitMs = opts.waitMs ?? 15_000;
  const staleMs = opts.staleMs ?? 60_000;
  const me: LockHolder = { pid: process.pid, host: hostname(), time: new Date().toISOString(), token: randomUUID() };
  const mine = JSON.stringify(me);
  const deadline = Date.now() + waitMs;
  let delay = 1;
  for (;;) {
    if (await tryCreate(lockPath, mine)) break;
    const seen = await readHolder(lockPath);
    if (seen && isStale(seen, staleMs)) {
      // Serialize the take-over; a break lock left by a crash is itself stale after a couple of seconds.
      if (await tryCreate(breakPath, mine)) {
        try {
          await removeIfSame(lockPath, seen.raw);
        } finally {
          await unlink(breakPath).catch(() => undefined);
        }
        continue;
      }
      const b = await readHolder(breakPath);
      if (b && Date.now() - b.mtimeMs > 2000) await removeIfSame(breakPath, b.raw);
    }
    if (Date.now() > deadline) {
      const h = seen?.holder;
      const who = h ? `process ${h.pid} on ${h.host} since ${h.time}` : 'another process';
      throw new PreferenceStoreError('STORE_LOCKED', `The preference store is locked by ${who}; try again, or delete ${lockPath} if that process is gone.`);
    }
    await sleep(delay);
    delay = Math.min(50, delay * 2);
  }
  try {
    return await fn();
  } finally {
    await removeIfSame(lockPath, mine);
  }
}
