import path from 'node:path';
import type { ModelEntry, VariantEntry } from './ModelEntry.js';
import { DEMO_MODEL_ID } from './ModelEntry.js';

export type ModelTreeNode =
  | { type: 'model'; model: ModelEntry; loaded: boolean; children: ModelTreeNode[] }
  /** modelId: the model at the root of this variant's lineage, when it is listed (adapters run on it). */
  | { type: 'variant'; variant: VariantEntry; modelId: string | null; children: ModelTreeNode[] }
  | { type: 'orphans'; children: ModelTreeNode[] };

const norm = (p: string) => path.normalize(p).replace(/[\\/]+$/, '');

/**
 * Models with their variants nested under the parent each manifest names. A parent matches a model by id, by
 * path (absolute, or relative to the variant folder), or — when exactly one model has that file name — by file
 * name; it matches a variant by id (variants of variants nest). Variants whose parent is unknown are kept under
 * one "other variants" node rather than hidden.
 */
export function buildModelTree(models: ModelEntry[], variants: VariantEntry[], loadedIds: ReadonlySet<string> = new Set()): ModelTreeNode[] {
  const modelNodes = models.map((m) => ({ type: 'model' as const, model: m, loaded: loadedIds.has(m.id), children: [] as ModelTreeNode[] }));
  const variantNodes = new Map(variants.map((v) => [v.id, { type: 'variant' as const, variant: v, modelId: null as string | null, children: [] as ModelTreeNode[] }]));

  const byBase = new Map<string, number[]>();
  modelNodes.forEach((n, i) => {
    const b = path.basename(n.model.path);
    byBase.set(b, [...(byBase.get(b) ?? []), i]);
  });

  const findModel = (v: VariantEntry) => {
    const p = v.parent;
    const lower = p.toLowerCase();
    if (lower === DEMO_MODEL_ID || lower === 'builtin:demo') {
      const demo = modelNodes.find((n) => n.model.id === DEMO_MODEL_ID);
      if (demo) return demo;
    }
    const abs = norm(path.isAbsolute(p) ? p : path.resolve(v.dir, p));
    const exact = modelNodes.find((n) => n.model.id === p || norm(n.model.path) === norm(p) || norm(n.model.path) === abs);
    if (exact) return exact;
    const same = byBase.get(path.basename(p));
    return same && same.length === 1 ? modelNodes[same[0]] : undefined;
  };

  const orphans: ModelTreeNode[] = [];
  for (const node of variantNodes.values()) {
    const parentVariant = variantNodes.get(node.variant.parent);
    if (parentVariant && parentVariant !== node && !isAncestor(node, parentVariant, variantNodes)) parentVariant.children.push(node);
    else {
      const m = findModel(node.variant);
      if (m) m.children.push(node);
      else orphans.push(node);
    }
  }
  const stamp = (nodes: ModelTreeNode[], modelId: string) => {
    for (const n of nodes) {
      if (n.type !== 'variant') continue;
      n.modelId = modelId;
      stamp(n.children, modelId);
    }
  };
  for (const m of modelNodes) stamp(m.children, m.model.id);
  const result: ModelTreeNode[] = [...modelNodes];
  if (orphans.length > 0) result.push({ type: 'orphans', children: orphans });
  return result;
}

/** Guards against manifests whose parents form a cycle (a → b → a): such a variant goes to its model or orphans. */
function isAncestor(
  node: { variant: VariantEntry },
  candidateParent: { variant: VariantEntry },
  all: Map<string, { variant: VariantEntry }>,
): boolean {
  const seen = new Set<string>();
  let cur: { variant: VariantEntry } | undefined = candidateParent;
  while (cur && !seen.has(cur.variant.id)) {
    if (cur.variant.parent === node.variant.id) return true;
    seen.add(cur.variant.id);
    cur = all.get(cur.variant.parent);
  }
  return false;
}
