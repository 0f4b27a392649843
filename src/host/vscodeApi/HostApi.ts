/**
 * The slice of the VS Code API that Model Lab's host logic uses, in plain types (paths are strings, no
 * vscode.Uri). `createHostApi.ts` implements it over the real `vscode` module; unit tests implement it with a
 * small stub, so everything that only depends on this file runs under plain node.
 */

export interface Disposable {
  dispose(): unknown;
}

export type Listener<T> = (value: T) => unknown;
/** Subscribe; the returned disposable unsubscribes. */
export type Event<T> = (listener: Listener<T>) => Disposable;

export interface LogChannel extends Disposable {
  appendLine(line: string): void;
  show(preserveFocus?: boolean): void;
}

export interface QuickPickItem {
  label: string;
  description?: string;
  detail?: string;
}

export interface ProgressReport {
  message?: string;
  /** percent points added since the last report */
  increment?: number;
}

export interface StatusItem extends Disposable {
  text: string;
  tooltip: string;
  command: string | undefined;
  show(): void;
  hide(): void;
}

export interface SettingValues<T> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

/** A node of a tree view, in data (the real API turns it into a vscode.TreeItem). */
export interface TreeNodeData {
  id: string;
  label: string;
  description?: string;
  tooltip?: string;
  /** codicon name, e.g. 'package' */
  icon?: string;
  contextValue: string;
  collapsible: boolean;
  /** command run on click */
  command?: { command: string; arguments: unknown[] };
}

export interface TreeSource<N> {
  getChildren(parent: N | undefined): N[] | Promise<N[]>;
  toData(node: N): TreeNodeData;
  onDidChange: Event<void>;
}

/** A webview panel (or a custom editor's webview) reduced to what the protocol needs. */
export interface PanelHandle extends Disposable {
  postMessage(message: unknown): Promise<boolean>;
  onDidReceiveMessage: Event<unknown>;
  onDidDispose: Event<void>;
  setTitle(title: string): void;
  reveal(): void;
}

export interface PanelOptions {
  viewType: string;
  title: string;
  /** webview bundle name: dist/webview/<script>.js */
  script: string;
  /** Open beside the active text editor (so "Insert into editor" has a visible target). */
  beside?: boolean;
}

export interface EditorSelection {
  text: string;
  languageId: string;
  filePath: string | null;
  /** 0-based; start = end at a bare cursor. */
  range?: { start: { line: number; character: number }; end: { line: number; character: number } };
  /** Up to a few thousand characters of the document before and after the selection (prompt context). */
  before?: string;
  after?: string;
}

export interface HostApi {
  readonly extensionPath: string;
  readonly globalStoragePath: string;

  commands: {
    register(id: string, handler: (...args: unknown[]) => unknown): Disposable;
    execute(id: string, ...args: unknown[]): Promise<unknown>;
  };

  window: {
    showInformation(message: string, ...actions: string[]): Promise<string | undefined>;
    showWarning(message: string, ...actions: string[]): Promise<string | undefined>;
    showError(message: string, ...actions: string[]): Promise<string | undefined>;
    /** Returns the chosen file's path. */
    pickFile(opts: { title: string; filters: Record<string, string[]>; defaultPath?: string }): Promise<string | undefined>;
    pickOne<T extends QuickPickItem>(items: T[], opts: { title: string; placeholder?: string }): Promise<T | undefined>;
    input(opts: { title: string; prompt?: string; placeholder?: string; validate?: (v: string) => string | undefined }): Promise<string | undefined>;
    /** A cancellable progress notification; the signal fires when the user cancels. */
    withProgress<T>(title: string, task: (report: (p: ProgressReport) => void, signal: AbortSignal) => Promise<T>): Promise<T>;
    createOutput(name: string): LogChannel;
    createStatusItem(id: string): StatusItem;
    createTree<N>(viewId: string, source: TreeSource<N>): Disposable;
    createPanel(opts: PanelOptions): PanelHandle;
    /** Read-only custom editor: `open` is called with the file path and the editor's webview. */
    registerReadonlyEditor(viewType: string, script: string, open: (filePath: string, panel: PanelHandle) => void): Disposable;
    activeSelection(): EditorSelection | undefined;
    /** Replaces the active editor's selection with text; false when there is no editor. */
    insertIntoActiveEditor(text: string): Promise<boolean>;
    writeClipboard(text: string): Promise<void>;
    /** Shows a folder in the OS file manager; false where there is none to show it in (a remote or web window). */
    revealInOs(folderPath: string): Promise<boolean>;
    /** Opens a file the way a click in the Explorer would (its default editor: text, or our GGUF inspector). */
    openFile(filePath: string): Promise<void>;
    /**
     * Shows a self-contained HTML page (no script: inline styles, SVG) in a webview panel, e.g. an evaluation report;
     * works in desktop and web windows alike, where a browser on the user's side may not reach the file.
     */
    showHtml(opts: { viewType: string; title: string; html: string }): PanelHandle;
    /**
     * Inline suggestions in every file: `provide` gets the cursor (text empty, `before`/`after` around it) and
     * returns a suggestion or null (the signal fires when the editor no longer wants it); accepting one runs
     * `acceptCommand` with the suggestion's id.
     */
    registerInlineSuggestions(provide: (at: EditorSelection, signal: AbortSignal) => Promise<{ id: string; text: string } | null>, acceptCommand: string): Disposable;
  };

  workspace: {
    isTrusted(): boolean;
    onDidGrantTrust: Event<void>;
    folders(): string[];
    /** `section` without the `modelLab.` prefix */
    setting<T>(section: string): SettingValues<T>;
    onDidChangeSettings: Event<(section: string) => boolean>;
  };

  /** globalState: persisted per user across workspaces. */
  state: {
    get<T>(key: string): T | undefined;
    update(key: string, value: unknown): Promise<void>;
  };
}
