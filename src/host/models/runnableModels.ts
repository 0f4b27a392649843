import path from 'node:path';
import { ModelLabError } from '../../engine/errors.js';
import type { ModelSource } from './ModelEntry.js';
import type { ModelRegistry } from './ModelRegistry.js';

/**
 * A model a panel can run or rework: a listed model, or a model variant (named by its path). The one list and the
 * one resolver of the Playground, Compare, Prune and Tune panels.
 */
export interface RunnableModel {
  id: string;
  name: string;
  path: string;
  /** where the Models view found it; 'variant' for a pruned (model-type) variant */
  source: ModelSource | 'variant';
}

/** Every usable listed model, then every model-type variant with a file. */
export function runnableModels(registry: Pick<ModelRegistry, 'list' | 'listVariants'>): RunnableModel[] {
  const out: RunnableModel[] = registry.list().filter((m) => !m.problem).map((m) => ({ id: m.id, name: m.name, path: m.path, source: m.source }));
  for (const v of registry.listVariants()) if (v.kind === 'model' && v.path) out.push({ id: v.path, name: `${v.name} (variant)`, path: v.path, source: 'variant' });
  return out;
}

/** The runnable model with this id or file path; a one-line MODEL_NOT_FOUND otherwise. */
export function resolveRunnableModel(registry: Pick<ModelRegistry, 'list' | 'listVariants'>, modelId: string): RunnableModel {
  const m = runnableModels(registry).find((x) => x.id === modelId || path.resolve(x.path) === path.resolve(modelId));
  if (!m) throw new ModelLabError('MODEL_NOT_FOUND', `${path.basename(modelId)} is not in the Models view; add it (Add Model File) or pick another model.`);
  return m;
}
