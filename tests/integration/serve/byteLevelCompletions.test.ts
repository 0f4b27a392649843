// `model-lab serve` completions on a byte-level BPE model (a Qwen2.5 catalog replica), where a token may end inside
// a UTF-8 character. node-llama-cpp holds such tokens back (and samples past max_tokens to finish the character);
// the server counts and returns the ids it sampled, and its log-prob pieces add up to the text it returns.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { writeCatalogReplica } from '../../../src/engine/synth/index.js';
import { LlamaRuntime } from '../../../src/runtime/core/LlamaRuntime.js';
import { streamedPieces } from '../../../src/serve/streamedPieces.js';
import { bundleCli, type CliHarness } from '../cli/cliHarness.js';
import { tempDir } from '../runtime/fixtures.js';
import { startServe, type Served } from './startServe.js';

describe('serve completions on byte-level BPE tokens', () => {
  let harness: CliHarness;
  let served: Served | undefined;
  let client: OpenAI;
  let dir: string;
  let model: string;

  before(async () => {
    dir = tempDir();
    model = path.join(dir, 'qwen.gguf');
    // seed 1: greedy from 'Once upon' gives one whole token, then tokens that are single bytes of no character
    await writeCatalogReplica(model, 'qwen2.5-0.5b-instruct-q4_k_m', { seed: 1 });
    harness = await bundleCli();
    served = await startServe(harness, model, ['--name', 'qwen']);
    client = new OpenAI({ baseURL: served.url, apiKey: 'unused-on-loopback', maxRetries: 0 });
  });
  after(() => {
    served?.child.kill('SIGTERM');
    harness?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('max_tokens N gives N tokens, counted and listed, whose pieces add up to the text', async () => {
    for (const n of [1, 4, 6]) {
      const r = await client.completions.create({ model: 'qwen', prompt: 'Once upon', max_tokens: n, logprobs: 2, temperature: 0 });
      const lp = r.choices[0]!.logprobs!;
      assert.equal(r.usage!.completion_tokens, n, `max_tokens ${n}`);
      assert.equal(lp.tokens!.length, n);
      assert.equal(lp.tokens!.join(''), r.choices[0]!.text, `max_tokens ${n}`);
      assert.equal(r.choices[0]!.finish_reason, 'length');
    }
    // the shorter reply is the start of the longer one: the same greedy ids
    const four = await client.completions.create({ model: 'qwen', prompt: 'Once upon', max_tokens: 4, temperature: 0 });
    const six = await client.completions.create({ model: 'qwen', prompt: 'Once upon', max_tokens: 6, temperature: 0 });
    assert.ok(six.choices[0]!.text.startsWith(four.choices[0]!.text.replace(/\ufffd+$/, '')));
  });

  test('a character split across tokens is shown whole by the token that finishes it', async () => {
    const rt = new LlamaRuntime();
    try {
      await rt.initialize({ gpu: 'auto', threads: 1 });
      await rt.loadModel({ id: 'q', path: model });
      const text = 'x 你好, café';
      const ids = rt.tokenize({ modelId: 'q', text }).tokens;
      const detokenize = (t: number[], before: number[]): string => rt.detokenize({ modelId: 'q', tokens: t, before }).text;
      const pieces = streamedPieces(ids, [], detokenize);
      assert.equal(pieces.join(''), text);
      assert.ok(ids.length > [...text].length - 2, `'你' and '好' take several byte tokens here (${ids.length} tokens)`);
      assert.ok(pieces.includes('') && pieces.some((p) => p.includes('你')), JSON.stringify(pieces));
      assert.ok(pieces.every((p) => !p.includes('\ufffd')), JSON.stringify(pieces));
    } finally {
      await rt.dispose();
    }
  });
});
