import { promises as fs } from 'node:fs';
import path from 'node:path';

export interface ScanLimits {
  /** Folder depth below each root (0: the root only). */
  maxDepth: number;
  /** Stop after this many .gguf files in all. */
  maxFiles: number;
  /** Stop after reading this many directory entries in all, so a huge tree costs bounded time. */
  maxEntries: number;
}

export const DEFAULT_SCAN_LIMITS: ScanLimits = { maxDepth: 4, maxFiles: 200, maxEntries: 20_000 };

const SKIP = new Set(['node_modules', '.git', '.hg', '.svn', 'dist', 'out', 'build', '.venv', 'venv', '__pycache__', 'target']);

/**
 * Finds *.gguf files under the roots, breadth first, within the limits. Unreadable folders are skipped; symlinks
 * are not followed (a link loop must not make the scan endless). Results are sorted and unique.
 */
export async function scanForModels(roots: string[], limits: ScanLimits = DEFAULT_SCAN_LIMITS, signal?: AbortSignal): Promise<string[]> {
  const found = new Set<string>();
  let entries = 0;
  let queue: Array<{ dir: string; depth: number }> = roots.map((r) => ({ dir: path.resolve(r), depth: 0 }));
  while (queue.length > 0 && found.size < limits.maxFiles && entries < limits.maxEntries) {
    const next: typeof queue = [];
    for (const { dir, depth } of queue) {
      if (signal?.aborted || found.size >= limits.maxFiles || entries >= limits.maxEntries) break;
      let list;
      try {
        list = await fs.readdir(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const d of list) {
        if (++entries > limits.maxEntries || found.size >= limits.maxFiles) break;
        const p = path.join(dir, d.name);
        if (d.isFile() && d.name.toLowerCase().endsWith('.gguf')) found.add(p);
        else if (d.isDirectory() && depth < limits.maxDepth && !SKIP.has(d.name) && !d.name.startsWith('.')) next.push({ dir: p, depth: depth + 1 });
      }
    }
    queue = next;
  }
  return [...found].sort();
}
