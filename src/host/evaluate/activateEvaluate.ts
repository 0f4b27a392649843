/**
 * Evaluate: from the Models view (a model, a model variant, an adapter variant on its base), from the palette, or
 * from an editor (the selection becomes the perplexity input).
 */
import { singletonPanel } from '../panels/singletonPanel.js';
import path from 'node:path';
import { COMMANDS } from '../activate/commandIds.js';
import type { ModelRegistry } from '../models/ModelRegistry.js';
import { resolveModelArg } from '../models/resolveModelArg.js';
import type { RuntimeService } from '../runtime/RuntimeService.js';
import type { ModelLabSettings } from '../settings/readSettings.js';
import type { Disposable, HostApi } from '../vscodeApi/HostApi.js';
import { EvaluatePanel } from './EvaluatePanel.js';
import type { EvalTarget } from '../../protocol/webviewEvaluate.js';

export interface EvaluateFeatureDeps {
  api: HostApi;
  registry: ModelRegistry;
  runtime: RuntimeService;
  settings: () => ModelLabSettings;
  validateAdapter: (path: string, signal: AbortSignal) => Promise<void>;
  log: (line: string) => void;
}

export interface EvaluateFeature {
  handlers: Record<string, (...args: unknown[]) => Promise<unknown>>;
  open(init: { target?: EvalTarget; selection?: { name: string; text: string } }): EvaluatePanel;
  panel(): EvaluatePanel | null;
}

export function activateEvaluate(d: EvaluateFeatureDeps, subscriptions: Disposable[]): EvaluateFeature {

  const single = singletonPanel(
    d.api,
    { viewType: 'modelLab.evaluate', title: 'Model Lab: Evaluate', script: 'evaluate', beside: true },
    (handle, init: { target?: EvalTarget; selection?: { name: string; text: string } }) =>
      new EvaluatePanel(handle, {
        registry: d.registry,
        runtime: d.runtime,
        window: d.api.window,
        dataDirectory: () => d.settings().dataDirectory,
        workspaceFolder: () => d.api.workspace.folders()[0] ?? null,
        validateAdapter: d.validateAdapter,
        log: d.log,
      }, init),
    (p, init) => p.show(init),
    subscriptions,
  );
  const open = (init: { target?: EvalTarget; selection?: { name: string; text: string } }): EvaluatePanel => single.open(init);

  return {
    handlers: {
      [COMMANDS.evaluate]: async (arg?: unknown) => {
        const t = resolveModelArg(arg, d.registry, 'run');
        const target = t ? { modelId: t.id, ...(t.adapterPath ? { adapterPath: t.adapterPath, adapterScale: 1 } : {}) } : undefined;
        // from the editor: a non-empty selection is a text to measure perplexity on
        const fromEditor = arg === undefined || (typeof arg === 'object' && arg !== null && 'fsPath' in arg);
        const sel = fromEditor ? d.api.window.activeSelection() : undefined;
        const selection = sel?.text.trim() ? { name: sel.filePath ? `selection in ${path.basename(sel.filePath)}` : 'selection', text: sel.text } : undefined;
        open({ ...(target ? { target } : {}), ...(selection ? { selection } : {}) });
        return undefined;
      },
    },
    open,
    panel: () => single.current(),
  };
}
