// A stand-in runtime child for RuntimeClient recovery tests: speaks the same JSON-RPC, no llama.cpp. It dies on
// command, so the tests can make a crash happen at a chosen moment (including while a model is being reloaded).
//   FAKE_CRASH_ON_LOAD=<file>: exit(134) when loading a model while <file> exists
//   FAKE_DIE_AT_START=1: exit(1) before answering anything
import fs from 'node:fs';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter } from 'vscode-jsonrpc/node.js';

if (process.env.FAKE_DIE_AT_START === '1') {
  process.stderr.write('fake runtime: dying at start\n');
  process.exit(1);
}
const connection = createMessageConnection(new IPCMessageReader(process), new IPCMessageWriter(process));
const loaded = new Map<string, { id: string; path: string }>();
connection.onRequest('runtime/initialize', () => ({ requested: 'auto', backend: 'cpu', devices: [], vram: { total: 0, used: 0, free: 0 }, cpuMathCores: 1, maxThreads: 1, nodeLlamaCppVersion: 'fake', pid: process.pid }));
connection.onRequest('runtime/loadModel', (p: { id: string; path: string }) => {
  const marker = process.env.FAKE_CRASH_ON_LOAD;
  if (marker && fs.existsSync(marker)) {
    process.stderr.write(`GGML_ASSERT(fake) failed while loading ${p.path}\n`);
    process.exit(134);
  }
  loaded.set(p.id, p);
  return { id: p.id, path: p.path };
});
connection.onRequest('runtime/listModels', () => [...loaded.values()]);
connection.onRequest('runtime/createSession', (p: { id: string; modelId: string }) => {
  if (!loaded.has(p.modelId)) throw new Error(`no model ${p.modelId}`);
  return { id: p.id, modelId: p.modelId, contextSize: 16, lora: [] };
});
// never answers: a call that is pending when the process dies
connection.onRequest('runtime/generate', () => new Promise(() => {}));
connection.onRequest('runtime/backendInfo', () => ({ pid: process.pid }));
process.on('disconnect', () => process.exit(0));
connection.listen();
