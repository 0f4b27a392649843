import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/** Temporary files of writeFileAtomic end with this; readers never open them and may delete stale ones. */
export const TEMP_SUFFIX = '.tmp';

/** True for a name writeFileAtomic uses while a write is in flight (or was, when its process died). */
export const isTempFile = (name: string): boolean => name.endsWith(TEMP_SUFFIX);

/**
 * Writes a file so that readers see the old content or the new one, never a torn mix: the bytes go to a temporary
 * file beside the target (same file system, so the rename is atomic), are flushed to disk, and only then renamed
 * over the target. The folder is flushed too, so the rename itself survives a power cut where the OS allows it. A
 * process killed midway leaves `<name>.<random>.tmp` behind and the target untouched.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(4).toString('hex')}${TEMP_SUFFIX}`);
  const fh = await fs.open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
  await syncFolder(dir);
}

/** writeFileAtomic of `JSON.stringify(value, null, 2)` with a final newline. */
export function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  return writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

async function syncFolder(dir: string): Promise<void> {
  // Opening a folder for fsync is not allowed on Windows; there the rename is already durable enough.
  if (process.platform === 'win32') return;
  const fh = await fs.open(dir, 'r').catch(() => null);
  if (!fh) return;
  try {
    await fh.sync();
  } catch {
    // Some file systems refuse fsync on a folder; the file's own data is already on disk.
  } finally {
    await fh.close();
  }
}
