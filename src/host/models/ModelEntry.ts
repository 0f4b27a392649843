/** Where a model in the Models view came from. */
export type ModelSource = 'demo' | 'user' | 'directory' | 'workspace';

export interface ModelEntry {
  /** Stable id: 'demo' for the built-in model, else the absolute file path. */
  id: string;
  name: string;
  path: string;
  source: ModelSource;
  /** Why the file cannot be used (e.g. not a GGUF file), found by a cheap check when listing; absent when fine. */
  problem?: string;
}

export interface VariantEntry {
  /** Folder name under <dataDirectory>/variants/ */
  id: string;
  name: string;
  /** 'adapter' (LoRA GGUF) or 'model' (a pruned/merged GGUF) */
  kind: 'adapter' | 'model';
  /** Absolute path of the variant's GGUF, or null when the folder has none yet. */
  path: string | null;
  /** The parent as written in manifest.json: a model path, a model id, or another variant's id. */
  parent: string;
  method: string | null;
  created: string | null;
  dir: string;
}

export const DEMO_MODEL_ID = 'demo';
export const DEMO_MODEL_NAME = 'Demo (built-in)';
