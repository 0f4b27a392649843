// A HostApi for tests: records what the host shows and registers, answers pickers from queues. No vscode here.
import type { Disposable, HostApi, Listener, LogChannel, PanelHandle, PanelOptions, SettingValues, StatusItem, TreeSource } from '../../../src/host/vscodeApi/HostApi.js';

export class FakePanel implements PanelHandle {
  posted: unknown[] = [];
  title = '';
  disposed = false;
  private msgListeners = new Set<Listener<unknown>>();
  private disposeListeners = new Set<Listener<void>>();
  constructor(readonly options?: PanelOptions) {}
  async postMessage(m: unknown): Promise<boolean> {
    this.posted.push(JSON.parse(JSON.stringify(m)));
    return true;
  }
  onDidReceiveMessage = (l: Listener<unknown>): Disposable => {
    this.msgListeners.add(l);
    return { dispose: () => this.msgListeners.delete(l) };
  };
  onDidDispose = (l: Listener<void>): Disposable => {
    this.disposeListeners.add(l);
    return { dispose: () => this.disposeListeners.delete(l) };
  };
  setTitle(t: string) {
    this.title = t;
  }
  reveal() {}
  /** As if the webview posted this message. */
  send(m: unknown) {
    for (const l of [...this.msgListeners]) l(m);
  }
  dispose() {
    if (this.disposed) return;
    this.disposed = true;
    for (const l of [...this.disposeListeners]) l();
  }
  notifications(method: string) {
    return this.posted.filter((m: any) => m.kind === 'notification' && m.method === method).map((m: any) => m.params);
  }
  response(id: number) {
    return this.posted.find((m: any) => m.kind === 'response' && m.id === id) as any;
  }
}

export interface StubOptions {
  extensionPath?: string;
  globalStoragePath?: string;
  trusted?: boolean;
  folders?: string[];
  settings?: Record<string, SettingValues<unknown>>;
  failTree?: boolean;
  /** What revealInOs answers (a local desktop window: true). */
  canReveal?: boolean;
}

export function createStubHostApi(o: StubOptions = {}) {
  const shown: Array<{ level: 'info' | 'warning' | 'error'; text: string }> = [];
  const commands = new Map<string, (...a: unknown[]) => unknown>();
  const logLines: string[] = [];
  const state = new Map<string, unknown>();
  const panels: FakePanel[] = [];
  const inlineProviders: Array<{ provide: Parameters<HostApi['window']['registerInlineSuggestions']>[0]; acceptCommand: string }> = [];
  const trees: Array<{ viewId: string; source: TreeSource<unknown> }> = [];
  const pickFileAnswers: Array<string | undefined> = [];
  const pickOneAnswers: Array<(items: any[]) => any> = [];
  const inputAnswers: Array<string | undefined> = [];
  const statusItems: Array<StatusItem & { visible: boolean }> = [];
  const clipboard: string[] = [];
  const inserted: string[] = [];
  const opened: string[] = [];
  const htmlShown: Array<{ viewType: string; title: string; html: string; panel: FakePanel }> = [];
  const revealed: string[] = [];
  const pickFileOptions: Array<{ title: string; filters: Record<string, string[]>; defaultPath?: string }> = [];
  /** Actions offered with each message (text → action labels); the next answers pick one. */
  const offered: Array<{ text: string; actions: string[] }> = [];
  const actionAnswers: Array<string | undefined> = [];
  let trusted = o.trusted ?? true;
  const trustListeners = new Set<Listener<void>>();
  const settingListeners = new Set<Listener<(s: string) => boolean>>();

  const log: LogChannel = { appendLine: (l) => void logLines.push(l), show: () => undefined, dispose: () => undefined };
  const api: HostApi = {
    extensionPath: o.extensionPath ?? '/nonexistent-extension',
    globalStoragePath: o.globalStoragePath ?? '/nonexistent-storage',
    commands: {
      register: (id, h) => {
        if (commands.has(id)) throw new Error(`command ${id} registered twice`);
        commands.set(id, h);
        return { dispose: () => commands.delete(id) };
      },
      execute: async (id, ...a) => commands.get(id)?.(...a),
    },
    window: {
      showInformation: async (text, ...actions) => (shown.push({ level: 'info', text }), offered.push({ text, actions }), actions.length ? actionAnswers.shift() : undefined),
      showWarning: async (text, ...actions) => (shown.push({ level: 'warning', text }), offered.push({ text, actions }), actions.length ? actionAnswers.shift() : undefined),
      showError: async (text, ...actions) => (shown.push({ level: 'error', text }), offered.push({ text, actions }), actions.length ? actionAnswers.shift() : undefined),
      pickFile: async (opts) => (pickFileOptions.push(opts), pickFileAnswers.shift()),
      pickOne: async (items) => {
        const f = pickOneAnswers.shift();
        return f ? f(items) : undefined;
      },
      input: async () => inputAnswers.shift(),
      withProgress: (_title, task) => task(() => undefined, new AbortController().signal),
      createOutput: () => log,
      createStatusItem: () => {
        const item: StatusItem & { visible: boolean } = {
          text: '', tooltip: '', command: undefined, visible: false,
          show() { item.visible = true; }, hide() { item.visible = false; }, dispose() {},
        };
        statusItems.push(item);
        return item;
      },
      createTree: (viewId, source) => {
        if (o.failTree) throw new Error('tree views are broken in this stub');
        trees.push({ viewId, source: source as TreeSource<unknown> });
        return { dispose: () => undefined };
      },
      createPanel: (opts) => {
        const p = new FakePanel(opts);
        panels.push(p);
        return p;
      },
      registerReadonlyEditor: () => ({ dispose: () => undefined }),
      activeSelection: () => undefined,
      insertIntoActiveEditor: async (t) => (inserted.push(t), true),
      writeClipboard: async (t) => void clipboard.push(t),
      revealInOs: async (f) => (revealed.push(f), o.canReveal ?? false),
      openFile: async (f) => void opened.push(f),
      showHtml: (opts) => {
        const p = new FakePanel({ viewType: opts.viewType, title: opts.title, script: '' });
        htmlShown.push({ ...opts, panel: p });
        panels.push(p);
        return p;
      },
      registerInlineSuggestions: (provide, acceptCommand) => {
        const entry = { provide, acceptCommand };
        inlineProviders.push(entry);
        return { dispose: () => void inlineProviders.splice(inlineProviders.indexOf(entry), 1) };
      },
    },
    workspace: {
      isTrusted: () => trusted,
      onDidGrantTrust: (l) => (trustListeners.add(l), { dispose: () => trustListeners.delete(l) }),
      folders: () => o.folders ?? [],
      setting: <T>(s: string) => (o.settings?.[s] ?? {}) as SettingValues<T>,
      onDidChangeSettings: (l) => (settingListeners.add(l), { dispose: () => settingListeners.delete(l) }),
    },
    state: {
      get: <T>(k: string) => state.get(k) as T | undefined,
      update: async (k, v) => void state.set(k, v),
    },
  };
  return {
    api,
    shown,
    commands,
    logLines,
    state,
    panels,
    inlineProviders,
    trees,
    statusItems,
    clipboard,
    inserted,
    opened,
    htmlShown,
    revealed,
    pickFileOptions,
    offered,
    actionAnswers,
    pickFileAnswers,
    pickOneAnswers,
    inputAnswers,
    changeSettings(...sections: string[]) {
      for (const l of settingListeners) l((s) => sections.some((x) => x === s || x.startsWith(`${s}.`)));
    },
    grantTrust() {
      trusted = true;
      for (const l of trustListeners) l();
    },
  };
}

/** Waits until `cond` holds (file I/O under load takes a variable number of event-loop turns). */
export async function waitFor(cond: () => unknown, what = 'condition', timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
