/**
 * Prune Model: from the Models view (a model or a pruned variant) or the palette. Opens the Prune panel; its jobs run
 * in the job service and show in the Jobs view.
 */
import { singletonPanel } from '../panels/singletonPanel.js';
import { COMMANDS } from '../activate/commandIds.js';
import type { ModelRegistry } from '../models/ModelRegistry.js';
import { resolveModelArg } from '../models/resolveModelArg.js';
import type { ModelLabSettings } from '../settings/readSettings.js';
import type { Disposable, HostApi } from '../vscodeApi/HostApi.js';
import type { CompareSource } from '../../protocol/webviewCompare.js';
import { PrunePanel, type PruneDeps } from './PrunePanel.js';

export interface PruneFeatureDeps {
  api: HostApi;
  registry: ModelRegistry;
  jobs: PruneDeps['jobs'];
  settings: () => ModelLabSettings;
  openCompare: (columns: CompareSource[]) => void;
  log: (line: string) => void;
}

export interface PruneFeature {
  handlers: Record<string, (...args: unknown[]) => Promise<unknown>>;
  open(init: { modelId?: string }): PrunePanel;
  panel(): PrunePanel | null;
}

export function activatePrune(d: PruneFeatureDeps, subscriptions: Disposable[]): PruneFeature {
  const single = singletonPanel(
    d.api,
    { viewType: 'modelLab.prune', title: 'Model Lab: Prune', script: 'prune', beside: true },
    (handle, init: { modelId?: string }) =>
      new PrunePanel(handle, {
        registry: d.registry,
        jobs: d.jobs,
        window: d.api.window,
        dataDirectory: () => d.settings().dataDirectory,
        workspaceFolder: () => d.api.workspace.folders()[0] ?? null,
        openCompare: d.openCompare,
        log: d.log,
      }, init),
    (p, init) => p.show(init),
    subscriptions,
  );
  const open = (init: { modelId?: string }): PrunePanel => single.open(init);
  return {
    handlers: {
      [COMMANDS.pruneModel]: async (arg?: unknown) => {
        const t = resolveModelArg(arg, d.registry, 'run');
        open(t ? { modelId: t.id } : {});
        return undefined;
      },
    },
    open,
    panel: () => single.current(),
  };
}
