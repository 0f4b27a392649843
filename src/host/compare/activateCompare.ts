/**
 * Compare Models: from the Models view (a model, a pruned variant next to its parent, an adapter next to its base
 * without it), from an editor selection (the selection becomes the prompt), or from the palette.
 */
import { promises as fs } from 'node:fs';
import type { CompareSource } from '../../protocol/webviewCompare.js';
import { PreferenceStore } from '../../workspace/preferences/index.js';
import { workspacePaths } from '../../workspace/index.js';
import { COMMANDS } from '../activate/commandIds.js';
import type { ModelRegistry } from '../models/ModelRegistry.js';
import { resolveModelArg } from '../models/resolveModelArg.js';
import type { RuntimeService } from '../runtime/RuntimeService.js';
import type { ModelLabSettings } from '../settings/readSettings.js';
import type { Disposable, HostApi } from '../vscodeApi/HostApi.js';
import { singletonPanel } from '../panels/singletonPanel.js';
import { ComparePanel } from './ComparePanel.js';

export interface CompareFeatureDeps {
  api: HostApi;
  registry: ModelRegistry;
  runtime: RuntimeService;
  settings: () => ModelLabSettings;
  validateAdapter: (path: string, signal: AbortSignal) => Promise<void>;
  log: (line: string) => void;
  /** The preference store the Label feature keeps open (so its Dataset view refreshes after a vote). */
  openStore?: () => Promise<PreferenceStore>;
  onVoted?: () => void;
}

export interface CompareFeature {
  handlers: Record<string, (...args: unknown[]) => Promise<unknown>>;
  /** Opens the panel on these columns (Prune and Tune results call this). */
  open(init: { columns?: CompareSource[]; prompt?: string }): ComparePanel;
  panel(): ComparePanel | null;
}

/** The columns a Models-view node suggests: a variant beside what it was made from. */
export function columnsFor(arg: unknown, registry: ModelRegistry): CompareSource[] | undefined {
  const target = resolveModelArg(arg, registry, 'run');
  if (!target) return undefined;
  if (target.adapterPath) {
    return [{ kind: 'model', modelId: target.id }, { kind: 'model', modelId: target.id, adapterPath: target.adapterPath, adapterScale: 1 }];
  }
  const variant = registry.listVariants().find((v) => v.kind === 'model' && v.path === target.path);
  if (variant) {
    const parentVariant = variant.parent.variant ? registry.listVariants().find((v) => v.id === variant.parent.variant) : undefined;
    const parent = parentVariant?.path ?? registry.find(variant.parent.file)?.id;
    if (parent) return [{ kind: 'model', modelId: parent }, { kind: 'model', modelId: variant.path }];
  }
  // a base model: beside its first model variant, if it has one
  const child = registry.listVariants().find((v) => v.kind === 'model' && (v.parent.file === target.path));
  return [{ kind: 'model', modelId: target.id }, ...(child ? [{ kind: 'model' as const, modelId: child.path }] : [])];
}

export function activateCompare(d: CompareFeatureDeps, subscriptions: Disposable[]): CompareFeature {
  const openStore = d.openStore ?? (async () => {
    const data = d.settings().dataDirectory;
    if (!data) throw Object.assign(new Error('Open a folder first: votes are kept in its data folder (modelLab.dataDirectory).'), { code: 'NO_WORKSPACE' });
    return PreferenceStore.open(workspacePaths(data).preferences);
  });

  const single = singletonPanel(
    d.api,
    { viewType: 'modelLab.compare', title: 'Model Lab: Compare', script: 'compare', beside: true },
    (handle, init: { columns?: CompareSource[]; prompt?: string }) =>
      new ComparePanel(handle, {
        registry: d.registry,
        runtime: d.runtime,
        window: d.api.window,
        contextSize: () => d.settings().contextSize,
        validateAdapter: d.validateAdapter,
        openStore,
        onVoted: d.onVoted,
        fileSize: async (f) => (await fs.stat(f).catch(() => null))?.size ?? null,
        log: d.log,
      }, init),
    (p, init) => p.show(init),
    subscriptions,
  );
  const open = (init: { columns?: CompareSource[]; prompt?: string }): ComparePanel => single.open(init);

  return {
    handlers: {
      [COMMANDS.compareModels]: async (arg?: unknown) => {
        const columns = columnsFor(arg, d.registry);
        // from the editor: the selection is the prompt
        const selection = arg === undefined || (typeof arg === 'object' && arg !== null && 'fsPath' in arg) ? d.api.window.activeSelection() : undefined;
        open({ ...(columns ? { columns } : {}), ...(selection?.text ? { prompt: selection.text } : {}) });
        return undefined;
      },
    },
    open,
    panel: () => single.current(),
  };
}
