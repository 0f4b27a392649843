// `model-lab serve` against what real clients send at the edges: a conversation longer than the context, a reply
// asked to run past it, a malformed path. The server runs as a user starts it (the bundled CLI, its own process) on
// a small generated model served with a 256-token context (greedy replies from random weights run on rather than
// end early); the official `openai` client asks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import fs from 'node:fs';
import { tempDir, testModel } from '../runtime/fixtures.js';
import { startServe, type Served } from '../serve/startServe.js';
import { bundleCli, type CliHarness } from './cliHarness.js';

// llama.cpp rounds a context up to a multiple of 256: ask for one it keeps
const CONTEXT = 256;

describe('model-lab serve at the edges', () => {
  let harness: CliHarness;
  let served: Served | undefined;
  let url: string;
  let client: OpenAI;
  let dir: string;

  before(async () => {
    dir = tempDir();
    const model = await testModel(dir, 'llama.gguf', { contextLength: 512 });
    harness = await bundleCli();
    served = await startServe(harness, model, ['--name', 'demo', '--context', String(CONTEXT)]);
    url = served.url;
    client = new OpenAI({ baseURL: url, apiKey: 'unused-on-loopback', maxRetries: 0 });
  });
  after(() => {
    served?.child.kill('SIGTERM');
    harness?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a reply asked to run past the context stops at the window with finish_reason length', async () => {
    const r = await client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'interface Point {' }], max_tokens: 100_000, temperature: 0 });
    assert.equal(r.choices[0]!.finish_reason, 'length');
    assert.ok(r.usage!.prompt_tokens > 0, `prompt tokens counted: ${JSON.stringify(r.usage)}`);
    assert.ok(r.usage!.total_tokens <= CONTEXT, `the reply stays in the ${CONTEXT}-token window: ${JSON.stringify(r.usage)}`);
  });

  test('a conversation longer than the context is refused with a 400 that says so', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'let x = 1;\n'.repeat(CONTEXT) }], max_tokens: 4 }),
      (err: unknown) => err instanceof OpenAI.BadRequestError && err.message.includes(`context holds ${CONTEXT}`),
    );
    // and the server goes on answering
    const r = await client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 3 });
    assert.equal(r.choices[0]!.finish_reason, 'length');
  });

  test('a malformed percent-escape in the path is the client\'s error (400), not the server\'s', async () => {
    const res = await fetch(`${url}/models/%E0%A4%A`);
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { message: string; type: string } };
    assert.equal(body.error.type, 'invalid_request_error');
    assert.match(body.error.message, /percent-escape/);
  });
});
