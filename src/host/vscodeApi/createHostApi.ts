/** The real HostApi over the `vscode` module. Kept thin: logic lives in code that only sees HostApi. */
import * as vscode from 'vscode';
import type { HostApi, PanelHandle, TreeNodeData, TreeSource } from './HostApi.js';
import { makeNonce, webviewHtml } from './webviewHtml.js';

function toPanelHandle(panel: vscode.WebviewPanel): PanelHandle {
  return {
    postMessage: (m) => Promise.resolve(panel.webview.postMessage(m)),
    onDidReceiveMessage: (l) => panel.webview.onDidReceiveMessage(l),
    onDidDispose: (l) => panel.onDidDispose(() => l()),
    setTitle: (t) => {
      panel.title = t;
    },
    reveal: () => panel.reveal(),
    dispose: () => panel.dispose(),
  };
}

export function createHostApi(context: vscode.ExtensionContext): HostApi {
  // A focused webview leaves activeTextEditor undefined: remember the last text editor as the insert target.
  let lastEditor: vscode.TextEditor | undefined = vscode.window.activeTextEditor;
  context.subscriptions.push(
    vscode.window.onDidChangeActiveTextEditor((e) => {
      if (e) lastEditor = e;
    }),
  );
  const dist = vscode.Uri.joinPath(context.extensionUri, 'dist');
  const media = vscode.Uri.joinPath(context.extensionUri, 'media');

  const setUpWebview = (webview: vscode.Webview, script: string, title: string) => {
    webview.options = { enableScripts: true, localResourceRoots: [dist, media] };
    webview.html = webviewHtml({
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      title,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview', `${script}.js`)).toString(),
      codiconCssUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'codicons', 'codicon.css')).toString(),
    });
  };

  return {
    extensionPath: context.extensionUri.fsPath,
    globalStoragePath: context.globalStorageUri.fsPath,
    commands: {
      register: (id, handler) => vscode.commands.registerCommand(id, handler),
      execute: (id, ...args) => Promise.resolve(vscode.commands.executeCommand(id, ...args)),
    },
    window: {
      showInformation: (m, ...a) => Promise.resolve(vscode.window.showInformationMessage(m, ...a)),
      showWarning: (m, ...a) => Promise.resolve(vscode.window.showWarningMessage(m, ...a)),
      showError: (m, ...a) => Promise.resolve(vscode.window.showErrorMessage(m, ...a)),
      pickFile: async ({ title, filters, defaultPath }) => {
        const r = await vscode.window.showOpenDialog({
          title,
          filters,
          canSelectMany: false,
          canSelectFolders: false,
          defaultUri: defaultPath ? vscode.Uri.file(defaultPath) : undefined,
        });
        return r?.[0]?.fsPath;
      },
      pickOne: (items, { title, placeholder }) => Promise.resolve(vscode.window.showQuickPick(items, { title, placeHolder: placeholder, matchOnDetail: true })),
      input: ({ title, prompt, placeholder, validate }) =>
        Promise.resolve(vscode.window.showInputBox({ title, prompt, placeHolder: placeholder, ignoreFocusOut: true, validateInput: validate })),
      withProgress: (title, task) =>
        Promise.resolve(
          vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
            const ac = new AbortController();
            const sub = token.onCancellationRequested(() => ac.abort());
            return task((p) => progress.report(p), ac.signal).finally(() => sub.dispose());
          }),
        ),
      createOutput: (name) => vscode.window.createOutputChannel(name),
      createStatusItem: (id) => {
        const item = vscode.window.createStatusBarItem(id, vscode.StatusBarAlignment.Right, 100);
        item.name = 'Model Lab';
        return {
          get text() {
            return item.text;
          },
          set text(v: string) {
            item.text = v;
          },
          get tooltip() {
            return typeof item.tooltip === 'string' ? item.tooltip : '';
          },
          set tooltip(v: string) {
            item.tooltip = v;
          },
          get command() {
            return typeof item.command === 'string' ? item.command : undefined;
          },
          set command(v: string | undefined) {
            item.command = v;
          },
          show: () => item.show(),
          hide: () => item.hide(),
          dispose: () => item.dispose(),
        };
      },
      createTree: <N>(viewId: string, source: TreeSource<N>) => {
        const changed = new vscode.EventEmitter<void>();
        const sub = source.onDidChange(() => changed.fire());
        const provider: vscode.TreeDataProvider<N> = {
          onDidChangeTreeData: changed.event,
          getChildren: (n) => source.getChildren(n),
          getTreeItem: (n) => toTreeItem(source.toData(n)),
        };
        const view = vscode.window.createTreeView(viewId, { treeDataProvider: provider });
        return { dispose: () => (sub.dispose(), changed.dispose(), view.dispose()) };
      },
      createPanel: ({ viewType, title, script, beside }) => {
        const column = beside && vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
        const panel = vscode.window.createWebviewPanel(viewType, title, column, {
          enableScripts: true,
          retainContextWhenHidden: true,
          localResourceRoots: [dist, media],
        });
        panel.iconPath = vscode.Uri.joinPath(media, 'model-lab.svg');
        setUpWebview(panel.webview, script, title);
        return toPanelHandle(panel);
      },
      registerReadonlyEditor: (viewType, script, open) =>
        vscode.window.registerCustomEditorProvider(
          viewType,
          {
            openCustomDocument: (uri) => ({ uri, dispose: () => undefined }),
            resolveCustomEditor: (doc, panel) => {
              setUpWebview(panel.webview, script, doc.uri.path.split('/').pop() ?? 'GGUF');
              open(doc.uri.fsPath, toPanelHandle(panel));
            },
          } satisfies vscode.CustomReadonlyEditorProvider,
          { supportsMultipleEditorsPerDocument: true, webviewOptions: { retainContextWhenHidden: true } },
        ),
      activeSelection: () => {
        const e = vscode.window.activeTextEditor ?? lastEditor;
        if (!e) return undefined;
        const doc = e.document;
        const start = doc.offsetAt(e.selection.start);
        const end = doc.offsetAt(e.selection.end);
        const full = doc.getText();
        const pos = (p: vscode.Position) => ({ line: p.line, character: p.character });
        return {
          text: full.slice(start, end),
          languageId: doc.languageId,
          filePath: doc.uri.scheme === 'file' ? doc.uri.fsPath : null,
          range: { start: pos(e.selection.start), end: pos(e.selection.end) },
          before: full.slice(Math.max(0, start - 8000), start),
          after: full.slice(end, end + 4000),
        };
      },
      insertIntoActiveEditor: async (text) => {
        let e = vscode.window.activeTextEditor ?? lastEditor ?? vscode.window.visibleTextEditors[0];
        if (!e || e.document.isClosed) return false;
        if (!vscode.window.visibleTextEditors.includes(e)) e = await vscode.window.showTextDocument(e.document, { viewColumn: e.viewColumn, preserveFocus: false });
        const target = e;
        return target.edit((b) => b.replace(target.selection, text));
      },
      writeClipboard: (text) => Promise.resolve(vscode.env.clipboard.writeText(text)),
      revealInOs: async (folderPath) => {
        // the OS file manager is on the user's machine: only a local desktop window can open it on this path
        if (vscode.env.remoteName || vscode.env.uiKind === vscode.UIKind.Web) return false;
        await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(folderPath));
        return true;
      },
      openFile: async (filePath) => {
        await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(filePath));
      },
      showHtml: ({ viewType, title, html }) => {
        const panel = vscode.window.createWebviewPanel(viewType, title, vscode.ViewColumn.Active, { enableScripts: false, localResourceRoots: [] });
        panel.iconPath = vscode.Uri.joinPath(media, 'model-lab.svg');
        // no scripts and nothing fetched: the page's own inline styles and data images only
        // a page made for a browser is light: keep it light in a dark theme (the webview would take the theme's background)
        const head = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`
          + '<style>html,body{background:#fff;color:#111}</style>';
        panel.webview.html = /<head>/i.test(html) ? html.replace(/<head>/i, `<head>${head}`) : `${head}${html}`;
        return toPanelHandle(panel);
      },
      registerInlineSuggestions: (provide, acceptCommand) =>
        vscode.languages.registerInlineCompletionItemProvider({ pattern: '**' }, {
          provideInlineCompletionItems: async (doc, position, _context, token) => {
            const ctrl = new AbortController();
            const sub = token.onCancellationRequested(() => ctrl.abort());
            try {
              const full = doc.getText();
              const at = doc.offsetAt(position);
              const pos = { line: position.line, character: position.character };
              const s = await provide(
                {
                  text: '',
                  languageId: doc.languageId,
                  filePath: doc.uri.scheme === 'file' ? doc.uri.fsPath : null,
                  range: { start: pos, end: pos },
                  before: full.slice(Math.max(0, at - 8000), at),
                  after: full.slice(at, at + 4000),
                },
                ctrl.signal,
              ).catch(() => null);
              if (!s || token.isCancellationRequested) return [];
              return [{ insertText: s.text, range: new vscode.Range(position, position), command: { command: acceptCommand, title: 'Accept', arguments: [s.id] } }];
            } finally {
              sub.dispose();
            }
          },
        }),
    },
    workspace: {
      isTrusted: () => vscode.workspace.isTrusted,
      onDidGrantTrust: (l) => vscode.workspace.onDidGrantWorkspaceTrust(() => l()),
      folders: () => (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath),
      setting: <T>(section: string) => {
        const i = vscode.workspace.getConfiguration('modelLab').inspect<T>(section);
        return { defaultValue: i?.defaultValue, globalValue: i?.globalValue, workspaceValue: i?.workspaceValue, workspaceFolderValue: i?.workspaceFolderValue };
      },
      onDidChangeSettings: (l) => vscode.workspace.onDidChangeConfiguration((e) => l((s) => e.affectsConfiguration(s))),
    },
    state: {
      get: <T>(key: string) => context.globalState.get<T>(key),
      update: (key, value) => Promise.resolve(context.globalState.update(key, value)),
    },
  };
}

function toTreeItem(d: TreeNodeData): vscode.TreeItem {
  const item = new vscode.TreeItem(d.label, d.collapsible ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
  item.id = d.id;
  item.description = d.description;
  item.tooltip = d.tooltip;
  item.contextValue = d.contextValue;
  if (d.icon) item.iconPath = new vscode.ThemeIcon(d.icon);
  if (d.command) item.command = { title: 'Open', command: d.command.command, arguments: d.command.arguments };
  return item;
}
