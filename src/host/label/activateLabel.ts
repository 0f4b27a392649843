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
import { LabelPanel, type LabelModel, type RankingTask } from './LabelPanel.js';
import type { LabelDecision } from '../../protocol/webviewLabel.js';
import { readLabelSettings } from './labelSettings.js';
import { toErrorInfo } from '../panels/toErrorInfo.js';
import { PreferenceDataset } from './PreferenceDataset.js';
import { DatasetTreeSource } from './DatasetTreeSource.js';
import { DATASET_COMMANDS } from './datasetCommandIds.js';
import { InlineSuggestions } from './InlineSuggestions.js';

export interface LabelFeatureDeps {
  api: HostApi;
  registry: ModelRegistry;
  runtime: RuntimeService;
  settings: () => ModelLabSettings;
  log: (line: string) => void;
}

export interface LabelFeature {
  /** The handler of COMMANDS.generateAlternatives (the dataset commands register themselves). */
  handlers: Record<string, (...args: unknown[]) => Promise<unknown>>;
  dataset: PreferenceDataset;
  /** The open panel, if any (tests). */
  panel(): LabelPanel | null;
  /** Opens the panel on candidates made elsewhere (DNO's samples); resolves with the user's decision (null: skipped). */
  rank(task: RankingTask): Promise<LabelDecision | null>;
}

export function activateLabel(d: LabelFeatureDeps, subscriptions: Disposable[]): LabelFeature {
  const dataset = new PreferenceDataset(() => d.settings().dataDirectory, d.log);
  subscriptions.push(dataset);
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
      dataset,
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

  // A tree that fails (as any feature may) leaves the commands working.
  try {
    subscriptions.push(d.api.window.createTree('modelLab.dataset', new DatasetTreeSource(dataset)));
  } catch (e) {
    d.log(`[host] Preferences view is off: ${(e as Error).message}`);
  }
  subscriptions.push(d.api.workspace.onDidChangeSettings((affects) => affects('modelLab.dataDirectory') && dataset.changed()));

  const listedModel = (): LabelModel | undefined => {
    const models = d.registry.list().filter((m) => !m.problem);
    return models.find((m) => m.id === lastModel) ?? models[0];
  };
  const inline = new InlineSuggestions({
    runtime: d.runtime,
    dataset,
    enabled: () => readLabelSettings(d.api.workspace).inlineSuggestions,
    model: listedModel,
    contextSize: () => d.settings().contextSize,
  });
  try {
    subscriptions.push(d.api.window.registerInlineSuggestions((at, signal) => inline.provide(at, signal), DATASET_COMMANDS.suggestionAccepted));
  } catch (e) {
    d.log(`[host] inline suggestions are off: ${(e as Error).message}`);
  }

  const recordArg = async (arg: unknown) => {
    const id = arg && typeof arg === 'object' ? (arg as { id?: unknown; record?: { id?: unknown } }).id ?? (arg as { record?: { id?: unknown } }).record?.id : undefined;
    if (typeof id !== 'string') return undefined;
    return (await dataset.view()).records.find((r) => r.id === id);
  };

  const datasetHandlers: Record<string, (arg?: unknown) => Promise<unknown>> = {
    [DATASET_COMMANDS.refresh]: async () => void dataset.changed(),
    [DATASET_COMMANDS.filter]: async () => {
      const q = await d.api.window.input({ title: 'Filter preferences', prompt: 'Text in the prompt, a candidate, the gold answer, the rationale, a model or a file name (empty: show all).', placeholder: dataset.filter });
      if (q !== undefined) dataset.setFilter(q);
      return undefined;
    },
    [DATASET_COMMANDS.deleteRecord]: async (arg) => {
      const r = await recordArg(arg);
      if (!r) return undefined;
      await dataset.delete(r.id);
      const a = await d.api.window.showInformation('Model Lab: the record is deleted (its line stays in preferences.jsonl, marked deleted).', 'Undo');
      if (a === 'Undo') await dataset.restore(r.id);
      return undefined;
    },
    [DATASET_COMMANDS.suggestionAccepted]: async (id) => void (await inline.accepted(id)),
    [DATASET_COMMANDS.thumbsDownSuggestion]: async () => {
      if (await inline.thumbsDown()) void d.api.window.showInformation('Model Lab: thumbs down stored for the last suggestion.');
      else void d.api.window.showInformation('Model Lab: no inline suggestion was shown yet (turn them on with modelLab.label.inlineSuggestions).');
      return undefined;
    },
    [DATASET_COMMANDS.editRecord]: async (arg) => {
      const r = await recordArg(arg);
      if (!r) return undefined;
      if (r.kind !== 'comparison') {
        void d.api.window.showInformation('Model Lab: a thumbs up/down has nothing to re-label; delete it instead if it was a mistake.');
        return undefined;
      }
      open().editRecord(r);
      return undefined;
    },
  };
  // The dataset commands are this feature's own: registered here, failing with the one-line message like the rest.
  for (const [id, h] of Object.entries(datasetHandlers)) {
    subscriptions.push(
      d.api.commands.register(id, async (arg?: unknown) => {
        try {
          return await h(arg);
        } catch (e) {
          const info = toErrorInfo(e);
          d.log(`[host] ${id} failed: ${info.code}: ${info.message}`);
          void d.api.window.showError(`Model Lab: ${info.message}`);
          return undefined;
        }
      }),
    );
  }

  return {
    panel: () => panel,
    rank: (task) => open().rank(task),
    dataset,
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
