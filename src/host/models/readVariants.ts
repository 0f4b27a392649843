import type { VariantEntry } from './ModelEntry.js';
import { listVariants, type Variant } from '../../workspace/index.js';

/** A registered variant as the Models view lists it. */
export function toVariantEntry(v: Variant): VariantEntry {
  return {
    id: v.id,
    name: v.id,
    kind: v.kind === 'adapter' ? 'adapter' : 'model',
    path: v.path,
    parent: v.parent,
    method: v.method,
    created: v.created,
    dir: v.dir,
    manifest: v,
  };
}

/**
 * The variants registered under `<dataDirectory>/variants/` (src/workspace reads and validates the manifests). A
 * folder whose manifest does not validate, or whose GGUF is gone, is skipped and reported through `onSkip`;
 * folders a job is still writing are not listed at all.
 */
export async function readVariants(dataDirectory: string, onSkip?: (dir: string, reason: string) => void): Promise<VariantEntry[]> {
  const { variants, problems } = await listVariants(dataDirectory);
  for (const p of problems) onSkip?.(p.dir, p.reason);
  return variants.map(toVariantEntry);
}
