import path from 'node:path';
import type { Variant } from './listVariants.js';
import type { VariantParent } from './VariantManifest.js';

/**
 * The variants made directly from `of`: a variant (by id), or a base file (by path, or by SHA-256 when given, which
 * still matches after the base model has moved).
 */
export function variantChildren(variants: readonly Variant[], of: { variant: string } | { file: string; sha256?: string }): Variant[] {
  if ('variant' in of) return variants.filter((v) => v.parent.variant === of.variant);
  const file = path.resolve(of.file);
  return variants.filter((v) => v.parent.variant === null && (path.resolve(v.parent.file) === file || (of.sha256 !== undefined && v.parent.sha256 === of.sha256)));
}

export interface VariantLineage {
  /** The variant, its parent variant, …, up to the variant made from the base. */
  chain: Variant[];
  /**
   * Where the chain starts: the base model's file and SHA-256 (variant null), or — when an ancestor variant was
   * deleted, or the parents form a loop — the missing link (`complete` false).
   */
  base: VariantParent;
  complete: boolean;
}

/** The chain from a variant up to its base model, e.g. adapter → pruned → base. Null when `id` is not listed. */
export function variantLineage(variants: readonly Variant[], id: string): VariantLineage | null {
  const byId = new Map(variants.map((v) => [v.id, v]));
  let cur = byId.get(id);
  if (!cur) return null;
  const chain: Variant[] = [];
  const seen = new Set<string>();
  for (;;) {
    chain.push(cur);
    seen.add(cur.id);
    const up = cur.parent.variant;
    if (up === null) return { chain, base: cur.parent, complete: true };
    const next = byId.get(up);
    if (!next || seen.has(up)) return { chain, base: cur.parent, complete: false };
    cur = next;
  }
}
