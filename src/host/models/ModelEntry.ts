import type { Variant, VariantParent } from '../../workspace/index.js';

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
  /** Folder name under <dataDirectory>/variants/ (the manifest's id). */
  id: string;
  name: string;
  /** How it runs: 'adapter' (a LoRA GGUF applied to the model above it) or 'model' (a pruned or merged GGUF). */
  kind: 'adapter' | 'model';
  /** Absolute path of the variant's GGUF. */
  path: string;
  /** What it was made from: the parent's file and SHA-256, and its variant id when the parent is a variant. */
  parent: VariantParent;
  method: string;
  created: string;
  dir: string;
  /** The manifest as registered (parameters, metrics, data hash, tool version). */
  manifest: Variant;
}

export const DEMO_MODEL_ID = 'demo';
export const DEMO_MODEL_NAME = 'Demo (built-in)';
