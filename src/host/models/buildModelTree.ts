import path from 'node:path';
import type { ModelEntry, VariantEntry } from './ModelEntry.js';

export type ModelTreeNode =
  | { type: 'model'; model: ModelEntry; loaded: boolean; children: ModelTreeNode[] }
  /**
   * modelId: the model this variant's adapter runs on — the nearest model above it: a listed model's id, or a
   * model variant's path (an adapter trained on a pruned variant runs on that variant, not on the base). Null when
   * the lineage does not reach a listed model.
   */
  | { type: 'variant'; variant: VariantEntry; modelId: string | null; children: ModelTreeNode[] }
  | { type: 'orphans'; children: ModelTreeNode[] };

type VariantNode = Extract<ModelTreeNode, { type: 'variant' }>;

const norm = (p: string) => path.normalize(p).replace(/[\\/]+$/, '');

/**
 * Models with their variants nested by lineage. A variant made from another variant (manifest `parent.variant`)
 * nests under it, e.g. an adapter under the pruned model it was trained on. A variant made from a base model nests
 * under the listed model with that path, or — when the file has moved and exactly one listed model has its file
 * name (the built-in demo after an update) — under that one. Variants whose parent is not listed are kept under one
 * "other variants" node rather than hidden.
 */
export function buildModelTree(models: ModelEntry[], variants: VariantEntry[], loadedIds: ReadonlySet<string> = new Set()): ModelTreeNode[] {
  const modelNodes = models.map((m) => ({ type: 'model' as const, model: m, loaded: loadedIds.has(m.id), children: [] as ModelTreeNode[] }));
  const variantNodes = new Map(variants.map((v): [string, VariantNode] => [v.id, { type: 'variant', variant: v, modelId: null, children: [] }]));

  const byBase = new Map<string, number[]>();
  modelNodes.forEach((n, i) => {
    const b = path.basename(n.model.path);
    byBase.set(b, [...(byBase.get(b) ?? []), i]);
  });

  const findModel = (v: VariantEntry) => {
    const file = norm(v.parent.file);
    const exact = modelNodes.find((n) => norm(n.model.path) === file);
    if (exact) return exact;
    const same = byBase.get(path.basename(file));
    return same && same.length === 1 ? modelNodes[same[0]] : undefined;
  };

  const orphans: ModelTreeNode[] = [];
  for (const node of variantNodes.values()) {
    const up = node.variant.parent.variant;
    const parentVariant = up === null ? undefined : variantNodes.get(up);
    if (parentVariant && !isAncestor(node, parentVariant, variantNodes)) parentVariant.children.push(node);
    else if (up !== null) orphans.push(node); // its parent variant was deleted (or the parents form a loop)
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
      stamp(n.children, n.variant.kind === 'model' ? n.variant.path : modelId);
    }
  };
  for (const m of modelNodes) stamp(m.children, m.model.id);
  const result: ModelTreeNode[] = [...modelNodes];
  if (orphans.length > 0) result.push({ type: 'orphans', children: orphans });
  return result;
}

/** Guards against manifests whose parents form a cycle (a → b → a): such a variant goes to the orphans. */
function isAncestor(node: VariantNode, candidateParent: VariantNode, all: Map<string, VariantNode>): boolean {
  const seen = new Set<string>();
  let cur: VariantNode | undefined = candidateParent;
  while (cur && !seen.has(cur.variant.id)) {
    if (cur.variant.parent.variant === node.variant.id) return true;
    seen.add(cur.variant.id);
    cur = cur.variant.parent.variant === null ? undefined : all.get(cur.variant.parent.variant);
  }
  return false;
}
