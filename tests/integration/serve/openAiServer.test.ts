// `model-lab serve` as a client sees it: the official `openai` npm client against our server, started as a user
// starts it (the bundled CLI, in its own process) on the built-in demo model. What it answers is checked against
// the CLI's own generate and logprobs commands, which run llama.cpp in another process.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import OpenAI from 'openai';
import { scoreOnEndpoint, streamEndpoint } from '../../../src/host/compare/streamEndpoint.js';
import { bundleCli, repoRoot, type CliHarness } from '../cli/cliHarness.js';
import { startServe, type Served } from './startServe.js';

const DEMO = path.join(repoRoot, 'media/models/demo.gguf');
const PROMPT = 'interface Point {\n  x: number;';

async function waitFor(cond: () => boolean, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('model-lab serve (OpenAI-compatible)', () => {
  let harness: CliHarness;
  let served: Served;
  let client: OpenAI;

  before(async () => {
    harness = await bundleCli();
    served = await startServe(harness, DEMO, []);
    client = new OpenAI({ baseURL: served.url, apiKey: 'unused-on-loopback', maxRetries: 0 });
  });
  after(async () => {
    served?.child.kill('SIGKILL');
    harness?.dispose();
  });

  test('GET /v1/models lists the served model under its file name', async () => {
    const list = await client.models.list();
    assert.deepEqual(list.data.map((m) => m.id), ['demo']);
    assert.equal((await client.models.retrieve('demo')).id, 'demo');
  });

  test('a greedy completion equals `model-lab generate` at temperature 0; streamed it is the same text', async () => {
    const cli = await harness.run(['generate', DEMO, '--prompt', PROMPT, '--max-tokens', '12', '--temperature', '0', '--json']);
    assert.equal(cli.code, 0, cli.stderr);
    const expected = JSON.parse(cli.stdout) as { text: string; tokens: number[] };
    const r = await client.completions.create({ model: 'demo', prompt: PROMPT, max_tokens: 12, temperature: 0 });
    assert.equal(r.object, 'text_completion');
    assert.equal(r.choices[0]!.text, expected.text);
    assert.equal(r.usage!.completion_tokens, expected.tokens.length);
    assert.equal(r.choices[0]!.finish_reason, expected.tokens.length === 12 ? 'length' : 'stop');

    const stream = await client.completions.create({ model: 'demo', prompt: PROMPT, max_tokens: 12, temperature: 0, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    let chunks = 0;
    for await (const c of stream) {
      chunks++;
      text += c.choices[0]?.text ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
      usage = c.usage ?? usage;
    }
    assert.equal(text, expected.text);
    assert.ok(chunks > 2, `streamed in pieces (${chunks} chunks)`);
    assert.equal(finish, r.choices[0]!.finish_reason);
    assert.equal(usage?.completion_tokens, expected.tokens.length);
  });

  test('echo with max_tokens 0 scores the prompt: the log-probs of `model-lab logprobs`', async () => {
    const cli = await harness.run(['logprobs', DEMO, '--text', PROMPT, '--json']);
    assert.equal(cli.code, 0, cli.stderr);
    const expected = JSON.parse(cli.stdout) as { tokens: Array<{ piece: string; logprob: number | null }> } | { pieces: string[]; logprobs: Array<number | null> };
    const pieces = 'pieces' in expected ? expected.pieces : expected.tokens.map((t) => t.piece);
    const lps = 'logprobs' in expected ? expected.logprobs : expected.tokens.map((t) => t.logprob);
    const r = await client.completions.create({ model: 'demo', prompt: PROMPT, max_tokens: 0, echo: true, logprobs: 0 });
    const lp = r.choices[0]!.logprobs!;
    assert.equal(r.choices[0]!.text, PROMPT);
    assert.deepEqual(lp.tokens, pieces);
    assert.equal(lp.token_logprobs!.length, lps.length);
    lps.forEach((want, i) => {
      const got = lp.token_logprobs![i];
      if (want === null) assert.equal(got, null, `token ${i}`);
      else assert.ok(Math.abs((got as number) - want) < 1e-5, `token ${i}: ${got} vs ${want}`);
    });
    // offsets walk the pieces
    const tokens = lp.tokens!;
    // offsets index into the prompt; BOS, not in the text, takes no room
    assert.equal(lp.text_offset![0], 0);
    for (let i = 1; i < tokens.length; i++) assert.equal(PROMPT.slice(lp.text_offset![i], lp.text_offset![i]! + tokens[i]!.length), tokens[i], `token ${i}`);
    assert.equal(lp.text_offset![1], 0, 'the first text token starts the prompt');
  });

  test('logprobs of generated tokens: greedy picks the most likely alternative at every step', async () => {
    const r = await client.completions.create({ model: 'demo', prompt: PROMPT, max_tokens: 6, temperature: 0, logprobs: 3 });
    const lp = r.choices[0]!.logprobs!;
    assert.ok(lp.tokens, 'tokens are listed');
    assert.equal(lp.tokens.join(''), r.choices[0]!.text);
    assert.equal(lp.tokens.length, r.usage!.completion_tokens);
    lp.tokens!.forEach((_piece, i) => {
      const chosen = lp.token_logprobs![i]!;
      const alternatives = Object.values(lp.top_logprobs![i]!);
      assert.ok(chosen <= 0, 'a log-probability');
      assert.ok(alternatives.length >= 1 && alternatives.length <= 3, `${alternatives.length} alternatives`);
      assert.ok(Math.abs(Math.max(...alternatives) - chosen) < 1e-5, `step ${i}: chosen ${chosen}, best ${Math.max(...alternatives)}`);
    });
    assert.equal(lp.text_offset![0], PROMPT.length, 'offsets count from the start of the prompt');
  });

  test('chat completions, streamed and not, give the same greedy reply for a whole conversation', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'system', content: 'You write TypeScript.' },
      { role: 'user', content: 'Declare a point.' },
      { role: 'assistant', content: 'interface Point { x: number; y: number; }' },
      { role: 'user', content: 'Now a rectangle.' },
    ];
    const r = await client.chat.completions.create({ model: 'demo', messages, max_tokens: 10, temperature: 0 });
    assert.equal(r.object, 'chat.completion');
    assert.equal(r.choices[0]!.message.role, 'assistant');
    const reply = r.choices[0]!.message.content!;
    assert.ok(r.usage!.prompt_tokens > 20, `the whole conversation was evaluated (${r.usage!.prompt_tokens} tokens)`);
    let streamed = '';
    for await (const c of await client.chat.completions.create({ model: 'demo', messages, max_tokens: 10, temperature: 0, stream: true })) {
      streamed += c.choices[0]?.delta?.content ?? '';
    }
    assert.equal(streamed, reply);
    // a different conversation gives a different prompt: history is not carried over between requests
    const short = await client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'Now a rectangle.' }], max_tokens: 1, temperature: 0 });
    assert.ok(short.usage!.prompt_tokens < r.usage!.prompt_tokens, 'a shorter conversation, fewer prompt tokens');
  });

  test('chat logprobs as OpenAI gives them: each reply token with its log-prob, UTF-8 bytes and the top alternatives', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Declare a point.' }];
    const r = await client.chat.completions.create({ model: 'demo', messages, max_tokens: 8, temperature: 0, logprobs: true, top_logprobs: 3 });
    const reply = r.choices[0]!.message.content!;
    const content = r.choices[0]!.logprobs!.content!;
    assert.ok(content.length > 0, 'the reply has tokens');
    assert.equal(content.length, r.usage!.completion_tokens);
    assert.equal(content.map((t) => t.token).join(''), reply);
    content.forEach((t, i) => {
      assert.ok(t.logprob <= 0, 'a log-probability');
      assert.equal(Buffer.from(t.bytes!).toString('utf8'), t.token);
      assert.ok(t.top_logprobs.length >= 1 && t.top_logprobs.length <= 3, `${t.top_logprobs.length} alternatives`);
      // greedy: the chosen token is the most likely one where it was drawn, so scoring used the chat's own context
      const best = Math.max(...t.top_logprobs.map((a) => a.logprob));
      assert.ok(Math.abs(best - t.logprob) < 1e-4, `step ${i}: chosen ${t.logprob}, best ${best}`);
      assert.ok(t.top_logprobs.some((a) => a.token === t.token || a.token.trim() === t.token.trim()), `step ${i}: '${t.token}' among the alternatives`);
    });
    const plain = await client.chat.completions.create({ model: 'demo', messages, max_tokens: 8, temperature: 0, logprobs: true });
    assert.equal(plain.choices[0]!.message.content, reply);
    assert.deepEqual(plain.choices[0]!.logprobs!.content!.map((t) => [t.token, t.top_logprobs.length]), content.map((t) => [t.token, 0]));
    const without = await client.chat.completions.create({ model: 'demo', messages, max_tokens: 2, temperature: 0 });
    assert.equal(without.choices[0]!.logprobs, null);
    await assert.rejects(client.chat.completions.create({ model: 'demo', messages, max_tokens: 2, top_logprobs: 2 }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && /'top_logprobs' needs 'logprobs': true/.test(e.message));
  });

  test('requests sent at once queue and each gets its own answer', async () => {
    const one = (max: number): Promise<OpenAI.Completion> => client.completions.create({ model: 'demo', prompt: PROMPT, max_tokens: max, temperature: 0 });
    const alone = await one(8);
    const together = await Promise.all([one(8), one(4), one(8)]);
    assert.equal(together[0]!.choices[0]!.text, alone.choices[0]!.text);
    assert.equal(together[2]!.choices[0]!.text, alone.choices[0]!.text);
    assert.equal(together[1]!.usage!.completion_tokens, Math.min(4, alone.usage!.completion_tokens));
  });

  test('a client that disconnects mid-stream cancels its generation, and the server goes on serving', async () => {
    const controller = new AbortController();
    const stream = await client.completions.create(
      { model: 'demo', prompt: PROMPT, max_tokens: 200, temperature: 0.8, seed: 3, stream: true },
      { signal: controller.signal },
    );
    let chunks = 0;
    try {
      for await (const _c of stream) {
        chunks++;
        controller.abort();
      }
    } catch {
      // the client reports the abort as an error or ends the stream: either way it has gone away
    }
    assert.equal(chunks, 1);
    await waitFor(() => /POST \/v1\/completions 200 \d+ ms cancelled/.test(served.stderr()));
    const next = await client.completions.create({ model: 'demo', prompt: PROMPT, max_tokens: 2, temperature: 0 });
    assert.equal(next.usage!.completion_tokens, 2);
  });

  test('bad requests get OpenAI-shaped errors', async () => {
    await assert.rejects(client.completions.create({ model: 'demo', prompt: PROMPT, max_tokens: 4, n: 2 }), (e: unknown) => e instanceof OpenAI.BadRequestError && /'n'/.test(e.message));
    await assert.rejects(client.completions.create({ model: 'gpt-4', prompt: PROMPT, max_tokens: 4 }), (e: unknown) => e instanceof OpenAI.NotFoundError && /not served here/.test(e.message));
    await assert.rejects(client.chat.completions.create({ model: 'demo', messages: [{ role: 'assistant', content: 'hi' }] }), OpenAI.BadRequestError);
    const raw = await fetch(`${served.url}/completions`, { method: 'POST', body: '{not json' });
    assert.equal(raw.status, 400);
    assert.match(((await raw.json()) as { error: { message: string } }).error.message, /not valid JSON/);
  });

  test('with an API key, requests without it are refused; another host without a key is refused at start', async () => {
    const keyed = await startServe(harness, DEMO, ['--api-key', 'secret-key']);
    try {
      const anonymous = new OpenAI({ baseURL: keyed.url, apiKey: 'wrong', maxRetries: 0 });
      await assert.rejects(anonymous.models.list(), OpenAI.AuthenticationError);
      const allowed = new OpenAI({ baseURL: keyed.url, apiKey: 'secret-key', maxRetries: 0 });
      assert.equal((await allowed.models.list()).data[0]!.id, 'demo');
    } finally {
      keyed.child.kill('SIGTERM');
      assert.equal(await keyed.exited, 0, 'SIGTERM stops it cleanly');
    }
    const open = await harness.run(['serve', DEMO, '--host', '0.0.0.0', '--port', '0']);
    assert.equal(open.code, 2);
    assert.match(open.stderr, /^model-lab serve: serving on 0\.0\.0\.0 .*--api-key/);
  });

  test("Compare's endpoint column against it: streamed answers equal the client's, heat-map log-probs equal echo scoring", async () => {
    const src = { url: served.url, model: 'demo' };
    const sampling = { temperature: 0, topP: 1, topK: 0, maxTokens: 10 };
    let streamed = '';
    const completion = await streamEndpoint(src, { mode: 'complete', prompt: PROMPT, sampling }, (t) => (streamed += t), new AbortController().signal);
    const direct = await client.completions.create({ model: 'demo', prompt: PROMPT, max_tokens: 10, temperature: 0 });
    assert.equal(completion.text, direct.choices[0]!.text);
    assert.equal(streamed, completion.text);
    assert.equal(completion.tokens, direct.usage!.completion_tokens);
    const chat = await streamEndpoint(src, { mode: 'chat', prompt: 'Declare a point.', sampling }, () => undefined, new AbortController().signal);
    const directChat = await client.chat.completions.create({ model: 'demo', messages: [{ role: 'user', content: 'Declare a point.' }], max_tokens: 10, temperature: 0 });
    assert.equal(chat.text, directChat.choices[0]!.message.content);

    const scored = await scoreOnEndpoint(src, PROMPT, completion.text, new AbortController().signal);
    const echo = await client.completions.create({ model: 'demo', prompt: PROMPT + completion.text, max_tokens: 0, echo: true, logprobs: 0 });
    const lp = echo.choices[0]!.logprobs!;
    const start = lp.tokens!.findIndex((t, i) => lp.text_offset![i]! + t.length > PROMPT.length);
    assert.deepEqual(scored.pieces, lp.tokens!.slice(start));
    assert.deepEqual(scored.logprobs, lp.token_logprobs!.slice(start));
    assert.ok(scored.pieces.join('').endsWith(completion.text), 'the text, and no more of the prompt than a straddling token');
    const extra = scored.pieces.join('').length - completion.text.length;
    assert.ok(extra === 0 || extra < scored.pieces[0]!.length, `${extra} characters of the prompt came along: ${JSON.stringify(scored.pieces.slice(0, 3))}`);

    await assert.rejects(streamEndpoint({ url: served.url, model: 'other' }, { mode: 'complete', prompt: PROMPT, sampling }, () => undefined, new AbortController().signal), /answered 404: .*not served here/);
  });

  test('SIGTERM ends a server cleanly: exit 0, and the port is closed', async () => {
    served.child.kill('SIGTERM');
    assert.equal(await served.exited, 0);
    await assert.rejects(fetch(`${served.url}/models`));
  });
});
