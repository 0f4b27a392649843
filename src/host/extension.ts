// Entry point VS Code loads (bundled to dist/extension.cjs). Everything past the real API wrapper is plain code
// that unit tests drive with a stub (see activate/activateModelLab.ts).
import type * as vscode from 'vscode';
import { createHostApi } from './vscodeApi/createHostApi.js';
import { activateModelLab, type ModelLab } from './activate/activateModelLab.js';
import { createRuntimeAdapter, runtimeCatalog } from './runtime/createRuntimeAdapter.js';
import { checkAdapterFile, checkModelFile, readInspectSource } from './engineAccess/checkGgufFile.js';

let lab: ModelLab | undefined;

export function activate(context: vscode.ExtensionContext): { modelLab: ModelLab } {
  const api = createHostApi(context);
  lab = activateModelLab(
    api,
    {
      createRuntime: (settings) => createRuntimeAdapter(settings, api.extensionPath),
      validateModel: checkModelFile,
      validateAdapter: checkAdapterFile,
      readInspectSource,
      catalog: runtimeCatalog,
    },
    context.subscriptions,
  );
  return { modelLab: lab };
}

export function deactivate(): void {
  lab = undefined;
}
