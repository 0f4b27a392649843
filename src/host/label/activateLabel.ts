/**
 * Generate Alternatives and the Label panel: the command takes the active editor's selection (or cursor), a model
 * (the one it was invoked on in the Models view, else the last one used, else the only one, else the user picks),
 * opens the Label panel beside the editor and queues a task there.
 */
import { COMMANDS } from '../activate/commandIds.js';
import type { ModelRegistry } from '../models/ModelRegistry.js';
import { resolveModelArg } from '../models/resolveModelArg.js';
import type { RuntimeService } from '../runtime/RuntimeService.js';
import type { ModelLabSettings } from '../settings/readSettings.js';
import type { Disposable, HostApi } from '../vscodeApi/HostApi.js';
import { LabelPanel, type LabelModel } from './LabelPanel.js';
import { readLabelSettings } from './labelSettings.js';

export interface LabelFeatureDeps {
  api: HostApi;
  registry: ModelRegistry;
  runtime: RuntimeService;
  settings: () => ModelLabSettings;
  log: (line: string) => void;
}

export interface LabelFeature {
  handlers: Record<string, (...args: unknown[]) => Promise<unknown>>;
  /** The open panel, if any (tests). */
  panel(): LabelPanel | null;
}

export function activateLabel(d: LabelFeatureDeps, subscriptions: Disposable[]): LabelFeature {
  let panel: LabelPanel | null = null;
  let lastModel: string | null = null;

  const open = (): LabelPanel => {
    if (panel) {
      panel.panel.reveal();
      return panel;
    }
    const handle = d.api.window.createPanel({ viewType: 'modelLab.label', title: 'Model Lab: Label', script: 'label', beside: true });
    const p = new LabelPanel(handle, {
      runtime: d.runtime,
      settings: () => readLabelSettings(d.api.workspace),
      contextSize: () => d.settings().contextSize,
      dataDirectory: () => d.settings().dataDirectory,
      log: d.log,
    });
    panel = p;
    handle.onDidDispose(() => {
      p.dispose();
      if (panel === p) panel = null;
    });
    return p;
  };
  subscriptions.push({ dispose: () => panel?.dispose() });

  const chooseModel = async (arg: unknown): Promise<LabelModel | undefined> => {
    // Only a Models-view node names a model; from the editor menu the argument is the document itself.
    const fromView = arg && typeof arg === 'object' && ['model', 'variant'].includes(String((arg as { type?: unknown }).type)) ? resolveModelArg(arg, d.registry, 'run') : undefined;
    if (fromView) return fromView;
    const models = d.registry.list().filter((m) => !m.problem);
    const last = lastModel ? models.find((m) => m.id === lastModel) : undefined;
    if (last) return last;
    if (models.length === 1) return models[0];
    if (models.length === 0) {
      void d.api.window.showInformation('Model Lab: no models yet. Add a GGUF file or download a model first.');
      return undefined;
    }
    const items = models.map((m) => ({ label: m.name, description: m.source, detail: m.path, model: m }));
    return (await d.api.window.pickOne(items, { title: 'Generate alternatives with which model?' }))?.model;
  };

  return {
    panel: () => panel,
    handlers: {
      [COMMANDS.generateAlternatives]: async (arg) => {
        const selection = d.api.window.activeSelection();
        if (!selection) {
          void d.api.window.showInformation('Model Lab: open a file and select code (or place the cursor) to generate alternatives for it.');
          return undefined;
        }
        const model = await chooseModel(arg);
        if (!model) return undefined;
        lastModel = model.id;
        return open().addTask(selection, model);
      },
    },
  };
}
