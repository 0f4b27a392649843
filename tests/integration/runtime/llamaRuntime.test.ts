// LlamaRuntime in-process with real node-llama-cpp on generated models: tokens, log-probabilities, perplexity,
// generation, LoRA, chat and validation of bad files.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { LlamaRuntime } from '../../../src/runtime/core/LlamaRuntime.js';
import { llamaTargets, tempDir, testModel, withChatTemplate, writeTestLora } from './fixtures.js';

const TEXT = 'The quick brown fox jumps over the lazy dog. Then it naps in the sun.';

describe('LlamaRuntime (in-process)', () => {
  let dir: string;
  let modelPath: string;
  let rt: LlamaRuntime;

  before(async () => {
    dir = tempDir();
    modelPath = await testModel(dir, 'llama.gguf', { contextLength: 512 });
    rt = new LlamaRuntime();
    await rt.initialize({ gpu: 'auto', threads: 1 });
    await rt.loadModel({ id: 'm', path: modelPath });
  });
  after(async () => {
    await rt?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('backend info reports a backend and, without a GPU, says why it uses the CPU', async () => {
    const info = await rt.backendInfo();
    assert.ok(['cpu', 'cuda', 'vulkan', 'metal'].includes(info.backend));
    if (info.backend === 'cpu') assert.match(info.fallback ?? '', /CPU/);
    assert.equal(info.nodeLlamaCppVersion, '3.21.1');
  });

  test('a GPU backend that cannot start falls back to the CPU and says why', { skip: process.platform === 'darwin' }, async () => {
    const other = new LlamaRuntime();
    try {
      const info = await other.initialize({ gpu: 'metal', threads: 1 });
      assert.equal(info.requested, 'metal');
      assert.equal(info.backend, 'cpu');
      assert.match(info.fallback ?? '', /'metal' is not available; using the CPU/);
      await assert.rejects(other.initialize({ gpu: 'off' }), { code: 'RUNTIME_INITIALIZED' });
    } finally {
      await other.dispose();
    }
  });

  test('model info comes from the file', () => {
    const [m] = rt.listModels();
    assert.equal(m!.architecture, 'llama');
    assert.equal(m!.layerCount, 2);
    assert.equal(m!.trainContextSize, 512);
    assert.ok(m!.vocabSize > 256);
  });

  test('tokenize/detokenize round-trip, BOS first when asked', () => {
    const t = rt.tokenize({ modelId: 'm', text: TEXT, addBos: true });
    assert.equal(t.tokens[0], 1); // the synth vocabulary's <s>
    assert.equal(t.tokens.length, t.pieces.length);
    assert.equal(rt.detokenize({ modelId: 'm', tokens: t.tokens.slice(1) }).text, TEXT);
  });

  test('log-probabilities: one per token after the first, each a log of a probability, top-k sorted', async () => {
    const r = await rt.logprobs({ modelId: 'm', text: TEXT, top: 5 });
    assert.equal(r.logprobs.length, r.tokens.length);
    assert.equal(r.logprobs[0], null);
    for (const lp of r.logprobs.slice(1)) {
      assert.equal(typeof lp, 'number');
      assert.ok(Number.isFinite(lp) && Math.exp(lp!) <= 1 + 1e-9, `exp(${lp}) ≤ 1`);
    }
    // the observed token can never beat the most likely one
    for (let i = 1; i < r.tokens.length; i++) {
      const best = r.top![i - 1]![0]!.logprob;
      assert.ok(r.logprobs[i]! <= best + 1e-6);
      const k = r.top![i - 1]!.map((x) => x.logprob);
      assert.deepEqual([...k].sort((a, b) => b - a), k);
      assert.ok(k.reduce((a, b) => a + Math.exp(b), 0) <= 1 + 1e-6);
    }
  });

  test('perplexity = exp(−mean logprob) of the same text; windows score every token once', async () => {
    const lp = await rt.logprobs({ modelId: 'm', text: TEXT });
    const scored = lp.logprobs.slice(1) as number[];
    const sum = scored.reduce((a, b) => a + b, 0);
    const p = await rt.perplexity({ modelId: 'm', text: TEXT });
    assert.equal(p.tokens, scored.length);
    assert.equal(p.windows, 1);
    assert.ok(Math.abs(p.nll + sum) < 1e-6 * Math.abs(sum));
    assert.ok(Math.abs(p.ppl - Math.exp(-sum / scored.length)) < 1e-6 * p.ppl);

    const w = await rt.perplexity({ modelId: 'm', text: TEXT, contextSize: 16 });
    assert.equal(w.tokens, scored.length);
    assert.ok(w.windows > 1);
    // less context changes the numbers (the model does use its context)
    assert.notEqual(w.nll.toFixed(6), p.nll.toFixed(6));
  });

  test('greedy generation picks the argmax of the distribution, streams what it returns', async () => {
    await rt.createSession({ id: 's', modelId: 'm' });
    const chunks: string[] = [];
    const chunkTokens: number[] = [];
    const g = await rt.generate({ sessionId: 's', generationId: 'g1', prompt: 'Once upon', maxTokens: 8, temperature: 0 }, (c) => {
      chunks.push(c.text);
      chunkTokens.push(...c.tokens);
    });
    assert.ok(g.tokens.length > 0);
    assert.deepEqual(chunkTokens, g.tokens);
    assert.equal(chunks.join(''), g.text);
    assert.ok(g.timeToFirstTokenMs > 0 && g.totalMs >= g.timeToFirstTokenMs);
    const dist = await rt.logprobs({ modelId: 'm', text: 'Once upon', top: 3 });
    const last = dist.top![dist.tokens.length - 1]!;
    assert.equal(g.tokens[0], last[0]!.token);
    assert.equal(g.promptTokens, dist.tokens.length);
    // greedy is deterministic
    const again = await rt.generate({ sessionId: 's', generationId: 'g2', prompt: 'Once upon', maxTokens: 8, temperature: 0 });
    assert.deepEqual(again.tokens, g.tokens);
  });

  test('cancel stops a generation, which resolves with what it has', async () => {
    const pending = rt.generate({ sessionId: 's', generationId: 'long', prompt: 'Hello', maxTokens: 100_000, temperature: 1, seed: 3 }, (c) => {
      if (c.tokens.length) rt.cancel('long');
    });
    const r = await pending;
    assert.equal(r.stopReason, 'cancelled');
    assert.ok(r.tokens.length < 1000);
    assert.equal(rt.cancel('long'), false);
  });

  test('a LoRA adapter changes the distribution; scale 0 leaves it as the base', async () => {
    const lora = await writeTestLora(path.join(dir, 'lora.gguf'), { targets: llamaTargets(2, 64, 128), scale: 0.5 });
    const base = await rt.logprobs({ modelId: 'm', text: TEXT });
    const withLora = await rt.logprobs({ modelId: 'm', text: TEXT, lora: [{ path: lora, scale: 1 }] });
    const zero = await rt.logprobs({ modelId: 'm', text: TEXT, lora: [{ path: lora, scale: 0 }] });
    const diff = (a: typeof base, b: typeof base): number => a.logprobs.slice(1).reduce<number>((s, x, i) => s + Math.abs(x! - b.logprobs[i + 1]!), 0);
    assert.ok(diff(base, withLora) > 1e-2);
    assert.ok(diff(base, zero) < 1e-3);
  });

  test('adapters that do not fit the model are refused before llama.cpp sees them', async () => {
    const wrongArch = await writeTestLora(path.join(dir, 'phi.gguf'), { arch: 'phi3', targets: llamaTargets(1, 64, 128) });
    await assert.rejects(rt.createSession({ id: 'x', modelId: 'm', lora: [{ path: wrongArch }] }), { code: 'MODEL_FILE_INVALID', message: /for 'phi3' models/ });
    const wrongShape = await writeTestLora(path.join(dir, 'shape.gguf'), { targets: { 'blk.0.attn_q.weight': [32, 64] } });
    await assert.rejects(rt.createSession({ id: 'x', modelId: 'm', lora: [{ path: wrongShape }] }), { code: 'MODEL_FILE_INVALID', message: /do not fit/ });
    const missing = await writeTestLora(path.join(dir, 'missing.gguf'), { targets: { 'blk.9.attn_q.weight': [64, 64] } });
    await assert.rejects(rt.createSession({ id: 'x', modelId: 'm', lora: [{ path: missing }] }), { message: /does not have/ });
    await assert.rejects(rt.loadModel({ id: 'a', path: wrongArch }), { code: 'MODEL_FILE_INVALID', message: /LoRA adapter, not a model/ });
  });

  test('bad model files give typed errors and leave the runtime usable', async () => {
    const garbage = path.join(dir, 'garbage.gguf');
    fs.writeFileSync(garbage, Buffer.from('definitely not a gguf file, just text'));
    await assert.rejects(rt.loadModel({ id: 'bad', path: garbage }), { name: 'ModelFileError', code: 'MODEL_FILE_INVALID' });
    const truncated = path.join(dir, 'truncated.gguf');
    fs.writeFileSync(truncated, fs.readFileSync(modelPath).subarray(0, 4000));
    await assert.rejects(rt.loadModel({ id: 'bad', path: truncated }), { code: 'MODEL_FILE_INVALID' });
    await assert.rejects(rt.loadModel({ id: 'bad', path: path.join(dir, 'nope.gguf') }), { message: /file not found/ });
    assert.equal(rt.tokenize({ modelId: 'm', text: 'ok' }).tokens.length > 0, true);
  });

  test('chat mode goes through the chat template and keeps history until reset', async () => {
    await rt.createSession({ id: 'chat', modelId: 'm', systemPrompt: 'Be brief.' });
    const a = await rt.generate({ sessionId: 'chat', generationId: 'c1', prompt: 'Hi', maxTokens: 4, temperature: 0, mode: 'chat' });
    assert.ok(a.promptTokens > rt.tokenize({ modelId: 'm', text: 'Hi' }).tokens.length);
    const b = await rt.generate({ sessionId: 'chat', generationId: 'c2', prompt: 'Hi', maxTokens: 4, temperature: 0, mode: 'chat' });
    await rt.resetSession('chat');
    const c = await rt.generate({ sessionId: 'chat', generationId: 'c3', prompt: 'Hi', maxTokens: 4, temperature: 0, mode: 'chat' });
    assert.deepEqual(c.tokens, a.tokens); // same state as the first turn
    assert.ok(b.tokens.length > 0);
  });

  test("chat renders the prompt with the model's own chat template", async () => {
    const template =
      "{% for message in messages %}{{ '#' + message['role'] + ': ' + message['content'] + '\\n' }}{% endfor %}" +
      "{% if add_generation_prompt %}{{ '#assistant: ' }}{% endif %}";
    const withTemplate = await withChatTemplate(modelPath, path.join(dir, 'templated.gguf'), template);
    const info = await rt.loadModel({ id: 't', path: withTemplate });
    assert.equal(info.chatTemplate, true);
    await rt.createSession({ id: 'tchat', modelId: 't', systemPrompt: 'Be brief.' });
    const r = await rt.generate({ sessionId: 'tchat', generationId: 't1', prompt: 'Hi', maxTokens: 3, temperature: 0, mode: 'chat' });
    const rendered = rt.tokenize({ modelId: 't', text: '#system: Be brief.\n#user: Hi\n#assistant: ', addBos: true });
    assert.equal(r.promptTokens, rendered.tokens.length);
    // without a system prompt the conversation has none (node-llama-cpp's default one would take ~130 tokens)
    await rt.createSession({ id: 'bare', modelId: 't' });
    const bare = rt.tokenize({ modelId: 't', text: '#user: Hi\n#assistant: ', addBos: true });
    for (const id of ['b1', 'b2']) {
      const b = await rt.generate({ sessionId: 'bare', generationId: id, prompt: 'Hi', maxTokens: 3, temperature: 0, mode: 'chat' });
      // (node-llama-cpp tokenizes the rendered text in parts: the trailing space may merge, one token less)
      assert.ok(b.promptTokens >= bare.tokens.length - 1 && b.promptTokens <= bare.tokens.length, `${b.promptTokens} prompt tokens`);
      await rt.resetSession('bare');
    }
    await rt.unloadModel('t');
  });
});
