import { promises as fs } from 'node:fs';
import path from 'node:path';
import { newVariantId } from './newVariantId.js';
import { workspacePaths } from './workspacePaths.js';

/**
 * Creates a new, empty `<parent>/<id>/` for `method` and returns its id and path. `mkdir` without `recursive`
 * fails when the folder exists, so two processes can never get the same folder; on a collision a fresh id is
 * drawn.
 */
export async function reserveFolder(parent: string, method: string): Promise<{ id: string; dir: string }> {
  await fs.mkdir(parent, { recursive: true });
  for (let attempt = 0; ; attempt++) {
    const id = newVariantId(method);
    const dir = path.join(parent, id);
    try {
      await fs.mkdir(dir);
      return { id, dir };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 50) throw e;
    }
  }
}

/** A new `runs/<id>/` for a training or pruning run (config, metrics.jsonl, checkpoints, log). */
export function createRunFolder(dataDirectory: string, method: string): Promise<{ id: string; dir: string }> {
  return reserveFolder(workspacePaths(dataDirectory).runs, method);
}

/** A new `evals/<id>/` for one evaluation's results and report. */
export function createEvalFolder(dataDirectory: string, method: string): Promise<{ id: string; dir: string }> {
  return reserveFolder(workspacePaths(dataDirectory).evals, method);
}
