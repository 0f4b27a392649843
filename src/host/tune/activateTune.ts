/**
 * Tune on Preferences: from the Models view (a model or a pruned variant; an adapter node tunes the model it runs on)
 * or from the palette. Opens the Tune panel; its jobs run in the job service and show in the Jobs view.
 */
import { singletonPanel } from '../panels/singletonPanel.js';
import { COMMANDS } from '../activate/commandIds.js';
import type { ModelRegistry } from '../models/ModelRegistry.js';
import { resolveModelArg } from '../models/resolveModelArg.js';
import type { RuntimeService } from '../runtime/RuntimeService.js';
import type { ModelLabSettings } from '../settings/readSettings.js';
import type { Disposable, HostApi } from '../vscodeApi/HostApi.js';
import type { CompareSource } from '../../protocol/webviewCompare.js';
import { ModelLabError } from '../../engine/errors.js';
import { TunePanel, type TuneDeps } from './TunePanel.js';

export interface TuneFeatureDeps {
  api: HostApi;
  registry: ModelRegistry;
  runtime: RuntimeService;
  jobs: TuneDeps['jobs'];
  settings: () => ModelLabSettings;
  openCompare: (columns: CompareSource[]) => void;
  /** DNO's oracle "me" (the Label panel); absent when the Label feature is off. */
  rankInLabel?: TuneDeps['rankInLabel'];
  log: (line: string) => void;
}

export interface TuneFeature {
  handlers: Record<string, (...args: unknown[]) => Promise<unknown>>;
  open(init: { modelId?: string }): TunePanel;
  panel(): TunePanel | null;
}

export function activateTune(d: TuneFeatureDeps, subscriptions: Disposable[]): TuneFeature {
  const single = singletonPanel(
    d.api,
    { viewType: 'modelLab.tune', title: 'Model Lab: Tune', script: 'tune', beside: true },
    (handle, init: { modelId?: string }) =>
      new TunePanel(handle, {
        registry: d.registry,
        runtime: d.runtime,
        jobs: d.jobs,
        window: d.api.window,
        dataDirectory: () => d.settings().dataDirectory,
        workspaceFolder: () => d.api.workspace.folders()[0] ?? null,
        openCompare: d.openCompare,
        rankInLabel: d.rankInLabel ?? (() => Promise.reject(new ModelLabError('LABEL_OFF', 'The Label panel is off (see the "Model Lab Runtime" output); choose a judge model as the oracle.'))),
        contextSize: () => d.settings().contextSize,
        log: d.log,
      }, init),
    (p, init) => p.show(init),
    subscriptions,
  );
  const open = (init: { modelId?: string }): TunePanel => single.open(init);
  return {
    handlers: {
      [COMMANDS.tuneOnPreferences]: async (arg?: unknown) => {
        const t = resolveModelArg(arg, d.registry, 'run');
        open(t ? { modelId: t.id } : {});
        return undefined;
      },
    },
    open,
    panel: () => single.current(),
  };
}
