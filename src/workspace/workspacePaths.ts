import path from 'node:path';

/** The data folder's name when nobody says otherwise (`modelLab.dataDirectory`, the CLI's `--data`). */
export const DEFAULT_DATA_DIRECTORY = '.model-lab';

/** Where everything a user keeps lives inside one data folder. */
export interface WorkspacePaths {
  /** The data folder itself, absolute. */
  root: string;
  /** `variants/<id>/`: model.gguf or adapter.gguf, manifest.json. */
  variants: string;
  /** `runs/<id>/`: a training or pruning run's config, metrics, checkpoints, logs. */
  runs: string;
  /** `evals/<id>/`: one evaluation's results and report. */
  evals: string;
  /** The preference store: one labelled pair per line. */
  preferences: string;
  /** Caches that can be deleted at any time (file hashes). */
  cache: string;
}

export function workspacePaths(dataDirectory: string): WorkspacePaths {
  const root = path.resolve(dataDirectory);
  return {
    root,
    variants: path.join(root, 'variants'),
    runs: path.join(root, 'runs'),
    evals: path.join(root, 'evals'),
    preferences: path.join(root, 'preferences.jsonl'),
    cache: path.join(root, 'cache'),
  };
}
