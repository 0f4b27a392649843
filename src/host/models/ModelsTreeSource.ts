import type { Event, TreeNodeData, TreeSource } from '../vscodeApi/HostApi.js';
import type { RuntimeService } from '../runtime/RuntimeService.js';
import type { ModelRegistry } from './ModelRegistry.js';
import { buildModelTree, type ModelTreeNode } from './buildModelTree.js';

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
      description: [v.kind === 'adapter' ? 'adapter' : 'model', v.method ?? ''].filter(Boolean).join(' · '),
      tooltip: `${v.path ?? `${v.dir} (no GGUF yet)`}\nparent: ${v.parent}${v.created ? `\ncreated: ${v.created}` : ''}`,
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
