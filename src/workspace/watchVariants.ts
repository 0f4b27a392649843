import { statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { MANIFEST_FILE } from './VariantManifest.js';
import { workspacePaths } from './workspacePaths.js';

export interface WatchVariantsOptions {
  /** Changes closer together than this make one call (a job writes many files). Default 300 ms. */
  debounceMs?: number;
  /**
   * While `variants/` does not exist, how often to look for it besides watching its nearest existing ancestor (a
   * safety net for file systems whose watches miss events). Default 2000 ms.
   */
  pollMs?: number;
}

const isDirectory = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/**
 * Calls `onChange` when the list of variants may have changed: a manifest written (a job or the CLI committed a
 * variant) or a variant folder added or removed. Writes to a GGUF in progress are ignored. Works before the data
 * folder exists (creating folders in a user's workspace just to watch them would be rude): it watches the nearest
 * folder on the way to `variants/` that exists, steps down as each one appears, and then watches `variants/`
 * recursively; a folder deleted under the watch sends it back up. Node's recursive watch of a missing folder throws
 * on some versions and on others (Node 24, code-server's host) neither throws nor reports anything, so the watch
 * never starts on a folder that is not there. The watch does not keep a process alive by itself.
 */
export function watchVariants(dataDirectory: string, onChange: () => void, opts: WatchVariantsOptions = {}): { dispose(): void } {
  const root = path.resolve(workspacePaths(dataDirectory).variants);
  const debounceMs = opts.debounceMs ?? 300;
  const pollMs = opts.pollMs ?? 2000;
  let watcher: FSWatcher | null = null;
  /** The folder the watch is on: `root` (recursive) or an ancestor of it (waiting for the next folder down). */
  let watching: string | null = null;
  let poll: ReturnType<typeof setInterval> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let disposed = false;

  const schedule = (): void => {
    if (disposed || timer) return;
    timer = setTimeout(() => {
      timer = null;
      if (!disposed) onChange();
    }, debounceMs);
  };

  const stop = (): void => {
    watcher?.close();
    watcher = null;
    watching = null;
    if (poll) clearInterval(poll);
    poll = null;
  };

  /** The deepest folder on the way from the file system's root to `root` that exists now. */
  const nearestExisting = (): string | null => {
    for (let dir = root; ; dir = path.dirname(dir)) {
      if (isDirectory(dir)) return dir;
      if (path.dirname(dir) === dir) return null;
    }
  };

  /** Watches the right folder for what exists now; `changed` says the folders may have changed (so re-read). */
  function arm(changed: boolean): void {
    if (disposed) return;
    const target = nearestExisting();
    if (target === watching && watcher) return;
    stop();
    if (target === null) return;
    try {
      if (target === root) {
        watcher = watch(root, { recursive: true, persistent: false }, (_event, name) => {
          // Only a manifest or a whole variant folder changes the list; a GGUF being written does not.
          const rel = name ? String(name) : '';
          if (rel === '' || !rel.includes(path.sep) || path.basename(rel) === MANIFEST_FILE) {
            schedule();
            if (!isDirectory(root)) arm(true); // variants/ itself went away
          }
        });
      } else {
        watcher = watch(target, { persistent: false }, () => arm(true));
      }
    } catch {
      watcher = null; // gone between the look and the watch: the poll below finds what is there next
    }
    watching = watcher ? target : null;
    watcher?.on('error', () => {
      // the watched folder was deleted or the watch broke: look again for what exists
      stop();
      schedule();
      setTimeout(() => arm(true), 0);
    });
    if (target !== root || !watcher) {
      poll = setInterval(() => {
        if (nearestExisting() !== watching) arm(true);
      }, pollMs);
      poll.unref?.();
    }
    // folders appeared (maybe with a committed variant in them) or went away since the last look
    if (changed) schedule();
  }

  arm(false);
  return {
    dispose() {
      disposed = true;
      stop();
      if (timer) clearTimeout(timer);
    },
  };
}
