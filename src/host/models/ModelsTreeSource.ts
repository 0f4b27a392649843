import type { Event, TreeNodeData, TreeSource } from '../vscodeApi/HostApi.js';
import type { RuntimeService } from '../runtime/RuntimeService.js';
import type { ModelRegistry } from './ModelRegistry.js';
import { buildModelTree, type ModelTreeNode } from './buildModelTree.js';
import type { VariantEntry } from './ModelEntry.js';

const SOURCE_LABEL: Record<string, string> = { demo: 'built-in', user: 'added', directory: 'models folder', workspace: 'workspace' };

/** Tree item data for a node; `contextValue` drives the context menus in package.json (`model.<source>`, `variant.<kind>`). */
export function modelNodeData(node: ModelTreeNode): TreeNodeData {
  if (node.type === 'model') {
    const m = node.model;
    return {
      id: `model:${m.id}`,
      label: m.name,
      description: [SOURCE_LABEL[m.source] ?? m.source, node.loaded ? 'loaded' : '', m.problem ?? ''].filter(Boolean).join(' · '),
      tooltip: m.problem ? `${m.path}\n${m.problem}` : m.path,
      icon: m.problem ? 'warning' : node.loaded ? 'circle-large-filled' : 'package',
      contextValue: `model.${m.source}${node.loaded ? '.loaded' : ''}`,
      collapsible: node.children.length > 0,
      command: { command: 'modelLab.inspectModel', arguments: [node] },
    };
  }
  if (node.type === 'variant') {
    const v = node.variant;
    return {
      id: `variant:${v.dir}`,
      label: v.name,
      description: [v.manifest.kind, v.method].join(' · '),
      tooltip: variantTooltip(v),
      icon: v.kind === 'adapter' ? 'plug' : 'git-branch',
      contextValue: `variant.${v.kind}`,
      collapsible: node.children.length > 0,
      command: v.path ? { command: 'modelLab.inspectModel', arguments: [node] } : undefined,
    };
  }
  return {
    id: 'orphans',
    label: 'Other variants',
    description: 'parent not found',
    tooltip: 'Variants whose manifest names a parent model that is not in this list.',
    icon: 'question',
    contextValue: 'orphans',
    collapsible: true,
  };
}

/** The variant's file, what it was made from (parent variant or file, with the parent's SHA-256), when, and metrics. */
function variantTooltip(v: VariantEntry): string {
  const metrics = Object.entries(v.manifest.metrics)
    .filter(([, x]) => typeof x === 'number' || typeof x === 'string')
    .map(([k, x]) => `${k} ${typeof x === 'number' ? Number(x.toPrecision(4)) : x}`);
  return [
    v.path,
    `made from: ${v.parent.variant ?? v.parent.file} (sha256 ${v.parent.sha256.slice(0, 12)}…)`,
    `${v.manifest.kind} by ${v.method}, ${v.created.replace('T', ' ').slice(0, 16)} UTC`,
    ...(metrics.length ? [metrics.join(', ')] : []),
  ].join('\n');
}

/** The Models view: the registry's models with their variants; refreshes when models or loaded state change. */
export class ModelsTreeSource implements TreeSource<ModelTreeNode> {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly runtime: RuntimeService,
  ) {}

  getChildren(parent: ModelTreeNode | undefined): ModelTreeNode[] {
    if (parent) return parent.children;
    const loaded = new Set(this.runtime.listLoaded().map((l) => l.modelId));
    return buildModelTree(this.registry.list(), this.registry.listVariants(), loaded);
  }

  toData(node: ModelTreeNode): TreeNodeData {
    return modelNodeData(node);
  }

  readonly onDidChange: Event<void> = (l) => {
    const a = this.registry.onDidChange(l);
    const b = this.runtime.onDidChange(l);
    return { dispose: () => (a.dispose(), b.dispose()) };
  };
}
