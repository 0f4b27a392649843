import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createRuntimeAdapter, type RuntimeClientLike } from '../../../src/host/runtime/createRuntimeAdapter.js';
import { RuntimeCrashedError } from '../../../src/runtime/errors.js';
import type { GenerateRequest, RuntimeEvent } from '../../../src/host/runtime/ModelRuntime.js';
import type { ModelLabSettings } from '../../../src/host/settings/readSettings.js';

/** Records the RuntimeClient calls the adapter makes; generation streams two chunks. */
class FakeClient {
  calls: string[] = [];
  opts: unknown;
  emitter = new EventEmitter();
  state = 'stopped';
  loadedModels: Array<{ id: string; path: string }> = [];
  private sessionN = 0;
  on(event: string, l: (...a: any[]) => void) {
    this.emitter.on(event, l);
    return { dispose: () => this.emitter.off(event, l) };
  }
  async backendInfo() {
    return { backend: 'cuda', devices: ['H100'], vram: { total: 80e9, used: 0, free: 80e9 }, fallback: undefined } as any;
  }
  async loadModel(p: { path: string; gpuLayers?: unknown }) {
    this.calls.push(`load ${p.path} gpuLayers=${String(p.gpuLayers)}`);
    this.loadedModels.push({ id: 'M1', path: p.path });
    return { id: 'M1', path: p.path, backend: 'cuda', gpuLayers: 33, layerCount: 32, sizeBytes: 123, fallback: undefined, trainContextSize: 4096, chatTemplate: true, architecture: 'phi3' } as any;
  }
  async unloadModel(id: string) {
    this.calls.push(`unload ${id}`);
  }
  async createSession(p: any) {
    const id = `S${++this.sessionN}`;
    this.calls.push(`session ${id} ctx=${p.contextSize} lora=${JSON.stringify(p.lora ?? null)} sys=${p.systemPrompt ?? ''}`);
    return { id } as any;
  }
  async disposeSession(id: string) {
    this.calls.push(`dispose ${id}`);
  }
  async resetSession(id: string) {
    this.calls.push(`reset ${id}`);
  }
  async generate(p: any, o: any) {
    this.calls.push(`generate ${p.sessionId} ${p.mode} maxTokens=${p.maxTokens} seed=${p.seed}`);
    o.onChunk?.({ text: 'a', tokens: [1] });
    o.onChunk?.({ text: 'b', tokens: [2] });
    return { tokens: [1, 2], stopReason: 'eos', tokensPerSecond: 50 } as any;
  }
  async download() {
    return { path: '/x.gguf' } as any;
  }
  async dispose() {
    this.calls.push('dispose client');
  }
}

const settings = { gpu: 'cuda', threads: 3 } as ModelLabSettings;
const sampling = { temperature: 0, topP: 1, topK: 1, maxTokens: 5, seed: 9 };
const req = (o: Partial<GenerateRequest>): GenerateRequest => ({ modelHandle: 'M1', mode: 'chat', prompt: 'hi', history: [], sampling, contextSize: 512, ...o });

function make() {
  const fake = new FakeClient();
  const rt = createRuntimeAdapter(settings, '/ext', (opts) => ((fake.opts = opts), fake as unknown as RuntimeClientLike));
  return { fake, rt };
}

test('the client starts with the settings and the bundled runtime entry', () => {
  const { fake } = make();
  assert.deepEqual(fake.opts, { entry: '/ext/dist/runtime.js', gpu: 'cuda', threads: 3, logLevel: 'warn' });
});

test('load maps the runtime\'s answer; generation streams text and reuses one session per model', async () => {
  const { fake, rt } = make();
  const m = await rt.loadModel('/m.gguf', { gpu: 'cuda', gpuLayers: 'auto', threads: 0, contextSize: 512 });
  // 32 blocks + the output layer: all 33 of llama.cpp's GPU layers are offloaded
  assert.deepEqual(m, { handle: 'M1', path: '/m.gguf', backend: 'cuda', gpuLayers: 33, totalLayers: 33, memoryBytes: 123, fallback: null, trainContextSize: 4096, chatTemplate: true, architecture: 'phi3' });
  const text: string[] = [];
  const r = await rt.generate(req({}), (t) => text.push(t), new AbortController().signal);
  assert.deepEqual([text, r], [['a', 'b'], { tokens: 2, stopReason: 'eos', tokensPerSecond: 50 }]);
  // the conversation goes on: same session, not reset
  await rt.generate(req({ history: [{ role: 'user', text: 'hi' }, { role: 'assistant', text: 'ab' }] }), () => undefined, new AbortController().signal);
  // a new conversation: same session, reset first
  await rt.generate(req({}), () => undefined, new AbortController().signal);
  // an adapter: the old session is disposed before the new one is made (one context per model)
  await rt.generate(req({ adapter: { path: '/a.gguf', scale: 0.5 } }), () => undefined, new AbortController().signal);
  // raw completion with the same adapter: same session, reset (completion is stateless)
  await rt.generate(req({ mode: 'complete', adapter: { path: '/a.gguf', scale: 0.5 } }), () => undefined, new AbortController().signal);
  assert.deepEqual(fake.calls, [
    'load /m.gguf gpuLayers=auto',
    'session S1 ctx=512 lora=null sys=',
    'generate S1 chat maxTokens=5 seed=9',
    'generate S1 chat maxTokens=5 seed=9',
    'reset S1',
    'generate S1 chat maxTokens=5 seed=9',
    'dispose S1',
    'session S2 ctx=512 lora=[{"path":"/a.gguf","scale":0.5}] sys=',
    'generate S2 chat maxTokens=5 seed=9',
    'reset S2',
    'generate S2 completion maxTokens=5 seed=9',
  ]);
  assert.deepEqual(rt.loadedHandles!(), ['M1']);
});

test('crash and restart events become host events with a short reason', () => {
  const { fake, rt } = make();
  const events: RuntimeEvent[] = [];
  const lines: string[] = [];
  rt.onEvent((e) => events.push(e));
  rt.onLog((l) => lines.push(l));
  fake.emitter.emit('log', { level: 'warn', message: 'ggml: oops', time: 0, source: 'runtime' });
  fake.emitter.emit('crash', new RuntimeCrashedError(null, 'SIGABRT', ['GGML_ASSERT failed']));
  fake.emitter.emit('state', 'restarting');
  fake.emitter.emit('state', 'ready');
  assert.deepEqual(lines, ['[runtime] warn: ggml: oops']);
  assert.deepEqual(events, [
    { kind: 'crashed', reason: 'signal SIGABRT; last output: GGML_ASSERT failed' },
    { kind: 'restarted', reason: 'the runtime is back' },
  ]);
  rt.dispose();
  assert.ok(fake.calls.includes('dispose client'));
});
