import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Disposable, Event, HostApi, Listener } from '../vscodeApi/HostApi.js';
import type { ModelLabSettings } from '../settings/readSettings.js';
import { DEMO_MODEL_ID, DEMO_MODEL_NAME, type ModelEntry, type VariantEntry } from './ModelEntry.js';
import { scanForModels, DEFAULT_SCAN_LIMITS, type ScanLimits } from './scanForModels.js';
import { readVariants } from './readVariants.js';
import { watchVariants } from '../../workspace/index.js';

export const USER_MODELS_KEY = 'modelLab.userModels';

export interface ModelRegistryDeps {
  state: HostApi['state'];
  extensionPath: string;
  settings: () => ModelLabSettings;
  workspaceFolders: () => string[];
  log: (line: string) => void;
  /** Folders of our own that are always scanned (the download folder in global storage). */
  extraRoots?: () => string[];
  scanLimits?: ScanLimits;
}

const nameOf = (p: string) => path.basename(p).replace(/\.gguf$/i, '');

/**
 * A cheap check for the list (the magic number only; the full validation runs before a model is used): a file
 * that is missing or is not GGUF is shown with the reason instead of failing later.
 */
async function quickProblem(filePath: string): Promise<string | undefined> {
  let fh;
  try {
    fh = await fs.open(filePath, 'r');
    const b = Buffer.alloc(4);
    const { bytesRead } = await fh.read(b, 0, 4, 0);
    return bytesRead === 4 && b.toString('latin1') === 'GGUF' ? undefined : 'not a GGUF file';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : 'cannot be read';
  } finally {
    await fh?.close();
  }
}

/**
 * Every model the Models view lists: the built-in demo (when its file ships), the files the user added
 * (globalState), and what a bounded scan finds in the models directory and the workspace. The same file found twice
 * is listed once, with the most specific source (user beats directory beats workspace).
 */
export class ModelRegistry implements Disposable {
  private models: ModelEntry[] = [];
  private variants: VariantEntry[] = [];
  private listeners = new Set<Listener<void>>();
  private refreshing: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  /** Watches the data folder's variants so that a variant a job or the CLI commits shows up by itself. */
  private variantsWatch: { dir: string; dispose(): void } | null = null;
  private disposed = false;

  constructor(private readonly deps: ModelRegistryDeps) {}

  readonly onDidChange: Event<void> = (l) => {
    this.listeners.add(l);
    return { dispose: () => this.listeners.delete(l) };
  };

  list(): ModelEntry[] {
    return this.models;
  }

  listVariants(): VariantEntry[] {
    return this.variants;
  }

  find(id: string): ModelEntry | undefined {
    return this.models.find((m) => m.id === id) ?? this.models.find((m) => m.path === id);
  }

  userModelPaths(): string[] {
    const v = this.deps.state.get<unknown>(USER_MODELS_KEY);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  }

  async addUserModel(filePath: string): Promise<ModelEntry> {
    const abs = path.resolve(filePath);
    const list = this.userModelPaths();
    if (!list.includes(abs)) await this.deps.state.update(USER_MODELS_KEY, [...list, abs]);
    await this.refresh();
    return this.find(abs) ?? { id: abs, name: nameOf(abs), path: abs, source: 'user' };
  }

  /** Forgets a user-added model; the file stays on disk. */
  async removeUserModel(id: string): Promise<boolean> {
    const list = this.userModelPaths();
    const next = list.filter((p) => p !== id);
    if (next.length === list.length) return false;
    await this.deps.state.update(USER_MODELS_KEY, next);
    await this.refresh();
    return true;
  }

  /**
   * Re-reads everything. A call during a pass schedules one more pass after it (what changed may have been read
   * already), and calls that arrive meanwhile share that next pass.
   */
  refresh(): Promise<void> {
    if (this.queued) return this.queued;
    if (this.refreshing) {
      this.queued = this.refreshing.catch(() => undefined).then(() => {
        this.queued = null;
        return this.refresh();
      });
      return this.queued;
    }
    this.refreshing = this.doRefresh().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    const s = this.deps.settings();
    const limits = this.deps.scanLimits ?? DEFAULT_SCAN_LIMITS;
    const byPath = new Map<string, ModelEntry>();
    const add = (p: string, source: ModelEntry['source']) => {
      const abs = path.resolve(p);
      if (!byPath.has(abs)) byPath.set(abs, { id: abs, name: nameOf(abs), path: abs, source });
    };

    const demo = path.join(this.deps.extensionPath, 'media', 'models', 'demo.gguf');
    const out: ModelEntry[] = [];
    if (existsSync(demo)) out.push({ id: DEMO_MODEL_ID, name: DEMO_MODEL_NAME, path: demo, source: 'demo' });

    for (const p of this.userModelPaths()) add(p, 'user');
    try {
      const own = [...(s.modelsDirectory ? [s.modelsDirectory] : []), ...(this.deps.extraRoots?.() ?? [])];
      if (own.length) for (const p of await scanForModels(own, limits)) add(p, 'directory');
      if (s.scanWorkspace) for (const p of await scanForModels(this.deps.workspaceFolders(), limits)) add(p, 'workspace');
    } catch (e) {
      this.deps.log(`model scan failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    byPath.delete(demo);
    out.push(...byPath.values());
    await Promise.all(out.map(async (m) => {
      const problem = await quickProblem(m.path);
      if (problem) m.problem = problem;
    }));

    this.models = out;
    this.deps.log(
      `[host] models: ${out.length} (models folder: ${s.modelsDirectory ?? 'not set'}; workspace scan: ${s.scanWorkspace ? 'on' : s.trusted ? 'no folder open' : 'off, untrusted workspace'}; data folder: ${s.dataDirectory ?? 'none'})`,
    );
    this.variants = s.dataDirectory ? await this.readVariantsOf(s.dataDirectory) : [];
    this.watchVariantsOf(s.dataDirectory);
    for (const l of this.listeners) l();
  }

  private readVariantsOf(dataDirectory: string) {
    return readVariants(dataDirectory, (dir, why) => this.deps.log(`skipped variant ${dir}: ${why}`));
  }

  private watchVariantsOf(dataDirectory: string | null): void {
    if (this.disposed || this.variantsWatch?.dir === dataDirectory) return;
    this.variantsWatch?.dispose();
    this.variantsWatch = null;
    if (!dataDirectory) return;
    const w = watchVariants(dataDirectory, () => void this.refreshVariants(dataDirectory));
    this.variantsWatch = { dir: dataDirectory, dispose: () => w.dispose() };
  }

  /** Re-reads only the variants (a watch event): no model scan. */
  private async refreshVariants(dataDirectory: string): Promise<void> {
    const variants = await this.readVariantsOf(dataDirectory);
    if (this.variantsWatch?.dir !== dataDirectory) return; // the data folder changed meanwhile
    this.variants = variants;
    for (const l of this.listeners) l();
  }

  dispose(): void {
    this.disposed = true;
    this.variantsWatch?.dispose();
    this.variantsWatch = null;
    this.listeners.clear();
  }
}
