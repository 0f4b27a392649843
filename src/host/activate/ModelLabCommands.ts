import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { HostApi, LogChannel, QuickPickItem } from '../vscodeApi/HostApi.js';
import type { ModelRegistry } from '../models/ModelRegistry.js';
import type { RuntimeService } from '../runtime/RuntimeService.js';
import type { CatalogEntry } from '../runtime/ModelRuntime.js';
import type { ModelLabSettings } from '../settings/readSettings.js';
import { resolveModelArg, type ModelTarget } from '../models/resolveModelArg.js';
import { toErrorInfo } from '../panels/toErrorInfo.js';
import { formatBytes } from '../../protocol/formatBytes.js';
import { backendLabel } from '../status/StatusBarController.js';
import { COMMANDS } from './commandIds.js';

export interface ModelLabCommandDeps {
  api: HostApi;
  registry: ModelRegistry;
  runtime: RuntimeService;
  log: LogChannel;
  settings: () => ModelLabSettings;
  /** Our GGUF reader's validation; throws a one-line error (GgufFormatError) for a bad file. */
  validateModel: (filePath: string, signal?: AbortSignal) => Promise<void>;
  /** `prompt`: text to start with (the editor selection it was opened on). */
  openPlayground: (target: ModelTarget | undefined, prompt?: string) => void;
  openInspector: (target: ModelTarget) => void;
  /** Models offered for download (plain data: listing them must not start the runtime). */
  catalog: () => CatalogEntry[];
}

const MODEL_FILTERS = { 'GGUF model (*.gguf)': ['gguf'] };
/** The action on an error toast that opens the runtime log, where the whole reason is (toasts cut long lines). */
export const SHOW_DETAILS = 'Show Details';

/** Where downloads go: the models directory when set (and allowed), else the extension's global storage. */
export function downloadDirectory(settings: ModelLabSettings, globalStoragePath: string): string {
  return settings.modelsDirectory ?? path.join(globalStoragePath, 'models');
}

function isResource(v: unknown): v is { fsPath: string } {
  return typeof v === 'object' && v !== null && typeof (v as { fsPath?: unknown }).fsPath === 'string';
}

/** The host a download contacts first (for the "connecting to …" message). */
function hostOf(uri: string): string {
  if (/^hf:|^huggingface:/i.test(uri)) return 'huggingface.co';
  try {
    return new URL(uri).host;
  } catch {
    return uri;
  }
}

export function isModelUri(v: string): boolean {
  return /^hf:[^\s/]+\/[^\s]+$/.test(v) || /^https?:\/\/\S+$/.test(v);
}

/** Handlers for every contributed command, keyed by command id. */
export function createCommandHandlers(d: ModelLabCommandDeps): Record<string, (...args: unknown[]) => Promise<unknown>> {
  const { api, registry, runtime } = d;
  const fail = (e: unknown, what: string) => {
    const info = toErrorInfo(e);
    d.log.appendLine(`[host] ${what} failed: ${info.code}: ${info.message}`);
    void api.window.showError(`Model Lab: ${what} failed: ${info.message}`, SHOW_DETAILS).then((a) => a === SHOW_DETAILS && d.log.show(true));
  };

  const pickModel = async (title: string, models = registry.list()): Promise<ModelTarget | undefined> => {
    if (models.length === 0) {
      void api.window.showInformation('Model Lab: no models yet. Add a GGUF file or download a model first.');
      return undefined;
    }
    const items = models.map((m) => ({ label: m.name, description: m.source, detail: m.path, target: { id: m.id, name: m.name, path: m.path } }));
    return (await api.window.pickOne(items, { title }))?.target;
  };

  const handlers: Record<string, (...args: unknown[]) => Promise<unknown>> = {
    [COMMANDS.addModelFile]: async (arg) => {
      const given = resolveModelArg(arg, registry)?.path;
      let file = given;
      if (!file) {
        // start where models live (the models folder), not in whatever folder the workspace has open
        const modelsDir = downloadDirectory(d.settings(), api.globalStoragePath);
        await mkdir(modelsDir, { recursive: true }).catch(() => undefined);
        file = await api.window.pickFile({ title: 'Add a model file (.gguf)', filters: MODEL_FILTERS, defaultPath: modelsDir });
      }
      if (!file) return undefined;
      try {
        await d.validateModel(file);
      } catch (e) {
        const info = toErrorInfo(e);
        d.log.appendLine(`[host] rejected ${file}: ${info.code}: ${info.message}`);
        void api.window
          .showError(`Model Lab: ${path.basename(file)} is not a usable GGUF model: ${info.message}`, SHOW_DETAILS)
          .then((a) => a === SHOW_DETAILS && d.log.show(true));
        return undefined;
      }
      const entry = await registry.addUserModel(file);
      void api.window.showInformation(`Model Lab: added ${entry.name}.`);
      return entry;
    },

    [COMMANDS.downloadModel]: async () => {
      const catalog = d.catalog();
      type Item = QuickPickItem & { uri?: string };
      const items: Item[] = [
        ...catalog.map((c) => ({
          label: `${c.recommended ? '$(star-full) ' : ''}${c.name}`,
          description: c.sizeBytes ? formatBytes(c.sizeBytes) : undefined,
          detail: c.description || c.uri,
          uri: c.uri,
        })),
        { label: '$(link) Enter a Hugging Face URI or URL…', detail: 'hf:<user>/<repo>/<file>.gguf or https://…' },
      ];
      const picked = await api.window.pickOne(items, { title: 'Download a model', placeholder: 'Pick a model to download' });
      if (!picked) return undefined;
      const uri =
        picked.uri ??
        (await api.window.input({
          title: 'Download a model',
          prompt: 'A Hugging Face URI (hf:user/repo/file.gguf) or an https URL of a .gguf file',
          placeholder: 'hf:microsoft/Phi-3-mini-4k-instruct-gguf/Phi-3-mini-4k-instruct-q4.gguf',
          validate: (v) => (isModelUri(v.trim()) ? undefined : 'Enter hf:<user>/<repo>/<file> or an http(s) URL'),
        }))?.trim();
      if (!uri) return undefined;
      const dir = downloadDirectory(d.settings(), api.globalStoragePath);
      const title = picked.uri ? picked.label.replace(/^\$\([^)]*\)\s*/, '') : uri;
      try {
        const rt = await runtime.get();
        d.log.appendLine(`[host] download ${uri} into ${dir}`);
        const result = await api.window.withProgress(`Model Lab: downloading ${title}`, async (report, signal) => {
          let lastPct = 0;
          report({ message: `connecting to ${hostOf(uri)}…` });
          try {
            return await rt.download(
              uri,
              dir,
              (p) => {
                const pct = p.totalBytes ? Math.floor((p.downloadedBytes / p.totalBytes) * 100) : 0;
                const speed = p.bytesPerSecond > 0 ? ` · ${formatBytes(p.bytesPerSecond)}/s` : '';
                report({
                  message: (p.totalBytes ? `${formatBytes(p.downloadedBytes)} of ${formatBytes(p.totalBytes)}` : formatBytes(p.downloadedBytes)) + speed,
                  increment: pct > lastPct ? pct - lastPct : undefined,
                });
                lastPct = Math.max(lastPct, pct);
              },
              signal,
            );
          } catch (e) {
            if (signal.aborted) return null;
            throw e;
          }
        });
        if (!result) {
          d.log.appendLine(`[host] download ${uri} cancelled`);
          void api.window.showInformation(`Model Lab: download of ${title} cancelled; run Download Model… again to resume it.`);
          return undefined;
        }
        await d.validateModel(result.path);
        const entry = await registry.addUserModel(result.path);
        void api.window.showInformation(`Model Lab: downloaded ${entry.name}.`);
        return entry;
      } catch (e) {
        fail(e, 'Download');
        return undefined;
      }
    },

    [COMMANDS.inspectModel]: async (arg) => {
      let target = resolveModelArg(arg, registry);
      if (!target) {
        const listed = registry.list();
        target = listed.length
          ? await pickModel('Inspect a model')
          : await api.window.pickFile({ title: 'Inspect a GGUF file', filters: MODEL_FILTERS }).then((p) => (p ? resolveModelArg(p, registry) : undefined));
      }
      if (target) d.openInspector(target);
      return target;
    },

    [COMMANDS.openPlayground]: async (arg) => {
      // from the editor's context menu the argument is the document: start with its selection as the prompt
      const fromEditor = isResource(arg) && !/\.gguf$/i.test(arg.fsPath);
      if (fromEditor) d.openPlayground(undefined, api.window.activeSelection()?.text || undefined);
      else d.openPlayground(resolveModelArg(arg, registry, 'run'));
      return undefined;
    },

    [COMMANDS.revealModelsFolder]: async () => {
      const dir = downloadDirectory(d.settings(), api.globalStoragePath);
      await mkdir(dir, { recursive: true });
      d.log.appendLine(`[host] models folder: ${dir}`);
      if (await api.window.revealInOs(dir)) return dir;
      const copy = 'Copy Path';
      const settings = 'Change Folder…';
      const a = await api.window.showInformation(`Model Lab: models and downloads are in ${dir}`, copy, settings);
      if (a === copy) await api.window.writeClipboard(dir);
      if (a === settings) await api.commands.execute('workbench.action.openSettings', 'modelLab.modelsDirectory');
      return dir;
    },

    [COMMANDS.showRuntimeLog]: async () => {
      d.log.show(true);
      return undefined;
    },

    [COMMANDS.loadModel]: async (arg) => {
      const target = resolveModelArg(arg, registry) ?? (await pickModel('Load a model'));
      if (!target) return undefined;
      try {
        await d.validateModel(target.path);
        const st = await api.window.withProgress(`Model Lab: loading ${target.name}`, (_r, signal) => runtime.ensureLoaded(target.id, target.name, target.path, signal));
        const i = st.info;
        const where = i.backend.toLowerCase() === 'cpu' ? 'CPU' : `${backendLabel(i.backend)}, ${i.gpuLayers ?? '?'}${i.totalLayers !== null ? `/${i.totalLayers}` : ''} layers on the GPU`;
        void api.window.showInformation(`Model Lab: ${target.name} is loaded (${where}).`);
        return st;
      } catch (e) {
        if (toErrorInfo(e).code !== 'ABORTED') fail(e, `Loading ${target.name}`);
        return undefined;
      }
    },

    [COMMANDS.unloadModel]: async (arg) => {
      const loaded = runtime.listLoaded();
      let id = resolveModelArg(arg, registry)?.id;
      if (!id) {
        if (loaded.length === 0) {
          void api.window.showInformation('Model Lab: no model is loaded.');
          return undefined;
        }
        id = (await api.window.pickOne(loaded.map((l) => ({ label: l.name, detail: l.info.path, id: l.modelId })), { title: 'Unload a model' }))?.id;
      }
      if (!id) return undefined;
      const name = runtime.listLoaded().find((l) => l.modelId === id)?.name ?? 'the model';
      try {
        if (await runtime.unload(id)) void api.window.showInformation(`Model Lab: unloaded ${name}.`);
        else void api.window.showInformation('Model Lab: that model is not loaded.');
      } catch (e) {
        fail(e, 'Unloading');
      }
      return undefined;
    },

    [COMMANDS.removeModel]: async (arg) => {
      let target = resolveModelArg(arg, registry);
      if (!target) {
        const mine = registry.list().filter((m) => m.source === 'user');
        if (mine.length === 0) {
          void api.window.showInformation('Model Lab: there is no model you added to remove. Models found in folders stay listed while their files are there.');
          return undefined;
        }
        target = await pickModel('Remove a model from the list', mine);
      }
      if (!target) return undefined;
      if (runtime.isLoaded(target.id)) await runtime.unload(target.id).catch((e) => fail(e, 'Unloading'));
      if (await registry.removeUserModel(target.id)) void api.window.showInformation(`Model Lab: removed ${target.name} from the list (the file stays on disk).`);
      else void api.window.showInformation(`Model Lab: ${target.name} was not added by you, so it cannot be removed from the list.`);
      return undefined;
    },

    [COMMANDS.refreshModels]: async () => {
      await registry.refresh();
      return undefined;
    },
  };

  return handlers;
}
