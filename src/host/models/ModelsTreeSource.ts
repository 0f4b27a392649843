import type { Event, TreeNodeData, TreeSource } from '../vscodeApi/HostApi.js';
import type { RuntimeService } from '../runtime/RuntimeService.js';
import type { ModelRegistry } from './ModelRegistry.js';
import { buildModelTree, type ModelTreeNode } from './buildModelTree.js';
import type { ModelEntry, VariantEntry } from './ModelEntry.js';
import type { ModelFacts, ModelFactsCache } from '../inspect/ModelFactsCache.js';
import { formatBytes } from '../../protocol/formatBytes.js';

const SOURCE_LABEL: Record<string, string> = { demo: 'built-in', user: 'added', directory: 'models folder', workspace: 'workspace' };

const SOURCE_WHERE: Record<string, string> = { demo: 'built into Model Lab', user: 'added by you', directory: 'in the models folder', workspace: 'in the workspace' };

const fmtParams = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} B` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} M` : `${Math.round(n / 1e3)} K`);

/** Name, architecture, size, quantization and where the file lives (the facts come from the GGUF header once read). */
export function modelTooltip(m: ModelEntry, facts: ModelFacts | null): string {
  const lines = [m.name];
  if (m.problem) lines.push(`Cannot be used: ${m.problem}`);
  if (facts) {
    lines.push(`${facts.architecture} · ${fmtParams(facts.parameters)} parameters · ${facts.quantization} · ${formatBytes(facts.fileBytes)}`);
    lines.push(`chat template: ${facts.chatTemplate ? 'yes' : 'none (raw completion)'}${facts.trainContextSize ? ` · trained context ${facts.trainContextSize} tokens` : ''}`);
  }
  lines.push(`${SOURCE_WHERE[m.source] ?? m.source}: ${m.path}`);
  return lines.join('\n');
}

/**
 * Tree item data for a node; `contextValue` drives the context menus in package.json (`model.<source>` or
 * `model.<source>.loaded`, `variant.<kind>`), so Load shows on a model that is not loaded and Unload on one that is.
 */
export function modelNodeData(node: ModelTreeNode, facts?: ModelFactsCache): TreeNodeData {
  if (node.type === 'model') {
    const m = node.model;
    return {
      id: `model:${m.id}`,
      label: m.name,
      description: [SOURCE_LABEL[m.source] ?? m.source, node.loaded ? 'loaded' : '', m.problem ?? ''].filter(Boolean).join(' · '),
      tooltip: modelTooltip(m, m.problem ? null : (facts?.peek(m.path) ?? null)),
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
    private readonly facts?: ModelFactsCache,
  ) {}

  getChildren(parent: ModelTreeNode | undefined): ModelTreeNode[] {
    if (parent) return parent.children;
    const loaded = new Set(this.runtime.listLoaded().map((l) => l.modelId));
    return buildModelTree(this.registry.list(), this.registry.listVariants(), loaded);
  }

  toData(node: ModelTreeNode): TreeNodeData {
    return modelNodeData(node, this.facts);
  }

  readonly onDidChange: Event<void> = (l) => {
    const a = this.registry.onDidChange(l);
    const b = this.runtime.onDidChange(l);
    const c = this.facts?.onDidChange(l);
    return { dispose: () => (a.dispose(), b.dispose(), c?.dispose()) };
  };
}
