import type { Disposable, HostApi, LogChannel } from '../vscodeApi/HostApi.js';
import { readSettings, type ModelLabSettings } from '../settings/readSettings.js';
import { ModelRegistry } from '../models/ModelRegistry.js';
import { ModelsTreeSource } from '../models/ModelsTreeSource.js';
import type { ModelTarget } from '../models/resolveModelArg.js';
import { RuntimeService } from '../runtime/RuntimeService.js';
import type { CatalogEntry, ModelRuntime } from '../runtime/ModelRuntime.js';
import { StatusBarController } from '../status/StatusBarController.js';
import { InspectPanel, type ReadInspectSource } from '../inspect/InspectPanel.js';
import { PlaygroundPanel } from '../playground/PlaygroundPanel.js';
import { activateCompare } from '../compare/activateCompare.js';
import { activateEvaluate } from '../evaluate/activateEvaluate.js';
import { activateTune } from '../tune/activateTune.js';
import { activatePrune } from '../prune/activatePrune.js';
import { ModelFactsCache } from '../inspect/ModelFactsCache.js';
import { toErrorInfo } from '../panels/toErrorInfo.js';
import { COMMANDS } from './commandIds.js';
import { JobClient } from '../../jobs/client/JobClient.js';
import type { JobService } from '../../jobs/service/JobService.js';
import { activateJobs, type HostJobRunner } from '../jobs/activateJobs.js';
import { JOB_COMMANDS } from '../jobs/jobCommandIds.js';
import { createCommandHandlers } from './ModelLabCommands.js';
import { activateLabel } from '../label/activateLabel.js';

export interface ActivationDeps {
  /** Starts the runtime process; called lazily, on first use. */
  createRuntime: (settings: ModelLabSettings) => ModelRuntime | Promise<ModelRuntime>;
  /** Our GGUF validation of a model or adapter file (throws a one-line error). */
  validateModel: (filePath: string, signal?: AbortSignal) => Promise<void>;
  /** The same for a LoRA adapter file. */
  validateAdapter: (filePath: string, signal?: AbortSignal) => Promise<void>;
  readInspectSource: ReadInspectSource;
  /** Models "Download Model…" offers. */
  catalog: () => CatalogEntry[];
  /** The job process client (default: JobClient forking dist/jobs.js beside the bundle; it forks on first job). */
  createJobRunner?: () => HostJobRunner;
}

export interface ModelLab {
  log: LogChannel;
  registry: ModelRegistry | null;
  runtime: RuntimeService | null;
  jobs: JobService | null;
  /** Names of the features that failed to start (they log why and stay off). */
  failedFeatures: string[];
  /** Resolves when the first model scan is done. */
  ready: Promise<void>;
}

export const OUTPUT_CHANNEL_NAME = 'Model Lab Runtime';

/**
 * Wires Model Lab into VS Code through `api`. Everything it creates goes into `subscriptions`. Each feature starts
 * on its own: one that throws is logged and stays off, and the rest still activate.
 */
export function activateModelLab(api: HostApi, deps: ActivationDeps, subscriptions: Disposable[]): ModelLab {
  const log = api.window.createOutput(OUTPUT_CHANNEL_NAME);
  subscriptions.push(log);
  const failedFeatures: string[] = [];
  const feature = <T>(name: string, start: () => T): T | null => {
    try {
      return start();
    } catch (e) {
      failedFeatures.push(name);
      const info = toErrorInfo(e);
      log.appendLine(`[host] ${name} is off: ${info.code}: ${info.message}`);
      return null;
    }
  };
  const line = (s: string) => log.appendLine(s);
  const settings = () => readSettings(api.workspace);

  const runtime = feature('runtime', () => {
    const r = new RuntimeService({
      create: () => deps.createRuntime(settings()),
      log,
      loadOptions: () => {
        const s = settings();
        return { gpu: s.gpu, gpuLayers: s.gpuLayers, threads: s.threads, contextSize: s.contextSize };
      },
      warn: (m, ...a) => api.window.showWarning(m, ...a),
      showLog: () => log.show(true),
    });
    subscriptions.push(r);
    return r;
  });

  const registry = feature('models', () => {
    const r = new ModelRegistry({
      state: api.state,
      extensionPath: api.extensionPath,
      settings,
      workspaceFolders: () => api.workspace.folders(),
      log: line,
      extraRoots: () => [`${api.globalStoragePath}/models`],
    });
    subscriptions.push(r);
    return r;
  });

  let ready: Promise<void> = Promise.resolve();
  if (registry) {
    ready = registry.refresh().catch((e) => line(`[host] model scan failed: ${toErrorInfo(e).message}`));
    feature('settings watcher', () => {
      subscriptions.push(
        api.workspace.onDidChangeSettings((affects) => {
          if (affects('modelLab.modelsDirectory') || affects('modelLab.dataDirectory')) void registry.refresh();
          if ((affects('modelLab.gpu') || affects('modelLab.threads')) && runtime?.stop()) {
            void api.window.showInformation('Model Lab: the model runtime restarts with the new setting; load your model again.');
          }
        }),
        api.workspace.onDidGrantTrust(() => void registry.refresh()),
      );
    });
  }

  // header facts (architecture, size, quantization, chat template, trained context) for the tree and the Playground
  const facts = new ModelFactsCache(deps.readInspectSource);
  subscriptions.push(facts);
  if (registry && runtime) {
    feature('models view', () => subscriptions.push(api.window.createTree('modelLab.models', new ModelsTreeSource(registry, runtime, facts))));
    feature('status bar', () => subscriptions.push(new StatusBarController(api.window.createStatusItem('modelLab.status'), runtime)));
  }

  const jobs = feature('jobs', () =>
    activateJobs(api, { createRunner: deps.createJobRunner ?? (() => new JobClient()), settings, log: line, feature }, subscriptions),
  );

  const openInspector = (target: ModelTarget) => {
    const panel = api.window.createPanel({ viewType: 'modelLab.inspectPanel', title: `Inspect ${target.name}`, script: 'inspect' });
    const p = new InspectPanel(target.path, panel, deps.readInspectSource, line, () => settings().contextSize);
    panel.onDidDispose(() => p.dispose());
  };
  feature('GGUF inspector', () =>
    subscriptions.push(
      api.window.registerReadonlyEditor('modelLab.inspect', 'inspect', (filePath, panel) => {
        const p = new InspectPanel(filePath, panel, deps.readInspectSource, line, () => settings().contextSize);
        panel.onDidDispose(() => p.dispose());
      }),
    ),
  );

  let playground: PlaygroundPanel | null = null;
  const openPlayground = (target: ModelTarget | undefined, prompt?: string) => {
    if (!registry || !runtime) {
      void api.window.showError('Model Lab: the playground is off because the model list or the runtime failed to start; see the "Model Lab Runtime" output.');
      return;
    }
    if (playground) {
      playground.panel.reveal();
      playground.selectModel(target?.id ?? null, target?.adapterPath, prompt);
      return;
    }
    const panel = api.window.createPanel({ viewType: 'modelLab.playground', title: 'Model Lab Playground', script: 'playground', beside: true });
    const p = new PlaygroundPanel(
      panel,
      {
        registry,
        runtime,
        window: api.window,
        contextSize: () => settings().contextSize,
        validateAdapter: (f, signal) => deps.validateAdapter(f, signal),
        log: line,
        facts,
      },
      target?.id ?? null,
      target?.adapterPath,
    );
    if (prompt) p.selectModel(null, undefined, prompt);
    playground = p;
    panel.onDidDispose(() => {
      p.dispose();
      if (playground === p) playground = null;
    });
  };
  subscriptions.push({ dispose: () => playground?.dispose() });

  const label = registry && runtime ? feature('label', () => activateLabel({ api, registry, runtime, settings, log: line }, subscriptions)) : null;
  const compare = registry && runtime
    ? feature('compare', () => activateCompare({
      api, registry, runtime, settings, log: line,
      validateAdapter: (f, signal) => deps.validateAdapter(f, signal),
      ...(label ? { openStore: () => label.dataset.open(), onVoted: () => label.dataset.changed() } : {}),
    }, subscriptions))
    : null;
  const evaluate = registry && runtime
    ? feature('evaluate', () => activateEvaluate({
      api, registry, runtime, settings, log: line, validateAdapter: (f, signal) => deps.validateAdapter(f, signal),
    }, subscriptions))
    : null;

  const tune = registry && runtime && jobs
    ? feature('tune', () => activateTune({
      api, registry, runtime, jobs: jobs.service, settings, log: line,
      ...(label ? { rankInLabel: (task) => label.rank(task) } : {}),
      openCompare: (columns) => {
        if (!compare) throw new Error('the Compare panel is off; see the "Model Lab Runtime" output');
        compare.open({ columns });
      },
    }, subscriptions))
    : null;
  const prune = registry && jobs
    ? feature('prune', () => activatePrune({
      api, registry, jobs: jobs.service, settings, log: line,
      openCompare: (columns) => {
        if (!compare) throw new Error('the Compare panel is off; see the "Model Lab Runtime" output');
        compare.open({ columns });
      },
    }, subscriptions))
    : null;

  feature('commands', () => {
    if (!registry || !runtime) throw new Error('the model list or the runtime failed to start');
    const handlers = {
      ...createCommandHandlers({ api, registry, runtime, log, settings, validateModel: deps.validateModel, openPlayground, openInspector, catalog: deps.catalog }),
      ...jobs?.handlers,
      ...label?.handlers,
      ...compare?.handlers,
      ...evaluate?.handlers,
      ...tune?.handlers,
      ...prune?.handlers,
    };
    for (const id of [...Object.values(COMMANDS), ...(jobs ? Object.values(JOB_COMMANDS) : [])]) {
      const h = handlers[id];
      subscriptions.push(
        api.commands.register(id, async (...args: unknown[]) => {
          try {
            return await h(...args);
          } catch (e) {
            const info = toErrorInfo(e);
            line(`[host] ${id} failed: ${info.code}: ${info.message}`);
            void api.window.showError(`Model Lab: ${info.message}`);
            return undefined;
          }
        }),
      );
    }
  });

  return { log, registry, runtime, jobs: jobs?.service ?? null, failedFeatures, ready };
}
