// The one child-process stack of Model Lab (runtime and job process alike). No vscode import.
export { ProcessClient, type OnStart } from './ProcessClient.js';
export * from './ProcessClientOptions.js';
export { ProcessCrashedError, RemoteError, registerRevivableErrors, reviveError, toErrorData } from './errors.js';
export { forkChild, type ChildRun } from './forkChild.js';
export { serveMethods, type Handlers } from './serveMethods.js';
export { runChildMain } from './runChildMain.js';
export { Backoff } from './Backoff.js';
export { LineBuffer } from './LineBuffer.js';
