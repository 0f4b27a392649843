import { watch, watchFile, unwatchFile, type FSWatcher, type Stats } from 'node:fs';
import path from 'node:path';
import { MANIFEST_FILE } from './VariantManifest.js';
import { workspacePaths } from './workspacePaths.js';

export interface WatchVariantsOptions {
  /** Changes closer together than this make one call (a job writes many files). Default 300 ms. */
  debounceMs?: number;
  /** How often to look for a `variants/` folder that does not exist yet. Default 2000 ms. */
  pollMs?: number;
}

/**
 * Calls `onChange` when the list of variants may have changed: a manifest written (a job or the CLI committed a
 * variant) or a variant folder added or removed. Writes to a GGUF in progress are ignored. Works before the data
 * folder exists: it polls for `variants/` (creating folders in a user's workspace just to watch them would be
 * rude) and then watches it recursively. The watch does not keep a process alive by itself.
 */
export function watchVariants(dataDirectory: string, onChange: () => void, opts: WatchVariantsOptions = {}): { dispose(): void } {
  const root = workspacePaths(dataDirectory).variants;
  const debounceMs = opts.debounceMs ?? 300;
  const pollMs = opts.pollMs ?? 2000;
  let watcher: FSWatcher | null = null;
  let polling = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let disposed = false;

  const schedule = () => {
    if (disposed || timer) return;
    timer = setTimeout(() => {
      timer = null;
      if (!disposed) onChange();
    }, debounceMs);
  };

  const onPoll = (cur: Stats) => {
    if (cur.isDirectory()) startWatching(true);
  };
  const startPolling = () => {
    if (polling || disposed) return;
    polling = true;
    watchFile(root, { interval: pollMs, persistent: false }, onPoll);
  };
  const stopPolling = () => {
    if (!polling) return;
    polling = false;
    unwatchFile(root, onPoll);
  };

  function startWatching(appeared = false): void {
    if (disposed) return;
    try {
      watcher = watch(root, { recursive: true, persistent: false }, (_event, name) => {
        // Only a manifest or a whole variant folder changes the list; a GGUF being written does not.
        const rel = name ? String(name) : '';
        if (rel === '' || !rel.includes(path.sep) || path.basename(rel) === MANIFEST_FILE) schedule();
      });
    } catch {
      startPolling(); // not there (yet, or any more)
      return;
    }
    stopPolling();
    watcher.on('error', () => {
      // The folder was deleted or the watch broke: go back to waiting for it.
      watcher?.close();
      watcher = null;
      schedule();
      startPolling();
    });
    if (appeared) schedule(); // the folder came with its first variants, maybe
  }

  startWatching();
  return {
    dispose() {
      disposed = true;
      watcher?.close();
      watcher = null;
      stopPolling();
      if (timer) clearTimeout(timer);
    },
  };
}
