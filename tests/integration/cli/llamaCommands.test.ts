// The llama-backed CLI commands (generate, logprobs, ppl) as a user runs them, on generated models: output formats,
// consistency between commands, exit codes, and one-line errors with nothing on stdout.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { LlamaRuntime } from '../../../src/runtime/core/LlamaRuntime.js';
import { llamaTargets, tempDir, testModel, writeTestLora } from '../runtime/fixtures.js';
import { bundleCli, type CliHarness, type CliRun as Run } from './cliHarness.js';

const TEXT = 'A small model reads a small text, one token at a time.';

let harness: CliHarness;
const cli = (...args: string[]): Promise<Run> => harness.run(args);
const cliFromSource = (...args: string[]): Promise<Run> => harness.runFromSource(args);

function assertOneLineError(r: Run, code: number, pattern?: RegExp): void {
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^model-lab \w+: [^\n]+\n$/);
  if (pattern) assert.match(r.stderr, pattern);
}

describe('CLI generate / logprobs / ppl', () => {
  let dir: string;
  let model: string;
  let textFile: string;
  let lora: string;

  before(async () => {
    harness = await bundleCli();
    dir = tempDir();
    model = await testModel(dir, 'llama.gguf', { contextLength: 512 });
    textFile = path.join(dir, 'text.txt');
    fs.writeFileSync(textFile, TEXT);
    lora = await writeTestLora(path.join(dir, 'lora.gguf'), { targets: llamaTargets(2, 64, 128), scale: 0.5 });
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    harness.dispose();
  });

  test('generate --json: greedy output starts with the most likely token; plain output is the same text', async () => {
    const [j, plain] = await Promise.all([
      cli('generate', model, '--prompt', 'Once upon a time', '--max-tokens', '6', '--temperature', '0', '--json'),
      cli('generate', model, '--prompt', 'Once upon a time', '--max-tokens', '6', '--temperature', '0'),
    ]);
    assert.equal(j.code, 0, j.stderr);
    const out = JSON.parse(j.stdout);
    assert.deepEqual(Object.keys(out).sort(), ['promptTokens', 'stopReason', 'text', 'timeToFirstTokenMs', 'tokens', 'tokensPerSecond', 'totalMs']);
    assert.ok(out.tokens.length >= 1);
    assert.equal(j.stderr, '');
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout, out.text + '\n');

    const rt = new LlamaRuntime();
    try {
      await rt.initialize({ threads: 1 });
      await rt.loadModel({ id: 'm', path: model });
      const d = await rt.logprobs({ modelId: 'm', text: 'Once upon a time', top: 1 });
      assert.equal(out.tokens[0], d.top![d.tokens.length - 1]![0]!.token);
      assert.equal(out.promptTokens, d.tokens.length);
    } finally {
      await rt.dispose();
    }
  });

  test('generate with a seed is repeatable at temperature 1', async () => {
    const args = ['generate', model, '--prompt', 'Hello', '--max-tokens', '8', '--temperature', '1', '--seed', '42', '--json'];
    const [a, b] = await Promise.all([cli(...args), cli(...args)]);
    assert.equal(a.code, 0, a.stderr);
    assert.deepEqual(JSON.parse(a.stdout).tokens, JSON.parse(b.stdout).tokens);
  });

  test('logprobs --json and ppl --json agree: ppl = exp(−sum/n) over the same tokens', async () => {
    const [lp, pp] = await Promise.all([cli('logprobs', model, '--text', TEXT, '--json'), cli('ppl', model, '--file', textFile, '--json')]);
    assert.equal(lp.code, 0, lp.stderr);
    assert.equal(pp.code, 0, pp.stderr);
    const r = JSON.parse(lp.stdout) as { tokens: number[]; pieces: string[]; logprobs: Array<number | null> };
    assert.deepEqual(Object.keys(r), ['tokens', 'pieces', 'logprobs']);
    assert.equal(r.tokens.length, r.pieces.length);
    assert.equal(r.tokens.length, r.logprobs.length);
    assert.equal(r.tokens[0], 1, 'BOS is token 0');
    assert.equal(r.logprobs[0], null);
    const scored = r.logprobs.slice(1) as number[];
    for (const x of scored) assert.ok(typeof x === 'number' && Math.exp(x) <= 1);
    assert.equal(r.pieces.slice(1).join('').trim(), TEXT);

    const p = JSON.parse(pp.stdout) as { ppl: number; tokens: number };
    assert.deepEqual(Object.keys(p), ['ppl', 'tokens']);
    assert.equal(p.tokens, scored.length);
    const expected = Math.exp(-scored.reduce((a, b) => a + b, 0) / scored.length);
    assert.ok(Math.abs(p.ppl - expected) / expected < 1e-9, `${p.ppl} vs ${expected}`);
  });

  test('ppl --lora changes the perplexity; --lora-scale 0 gives the base; --context windows the text', async () => {
    const [base, withLora, zero, windowed] = await Promise.all([
      cli('ppl', model, '--file', textFile, '--json'),
      cli('ppl', model, '--file', textFile, '--lora', lora, '--json'),
      cli('ppl', model, '--file', textFile, '--lora', lora, '--lora-scale', '0', '--json'),
      cli('ppl', model, '--file', textFile, '--context', '16', '--json'),
    ]);
    for (const r of [base, withLora, zero, windowed]) assert.equal(r.code, 0, r.stderr);
    const [b, l, z, w] = [base, withLora, zero, windowed].map((r) => JSON.parse(r.stdout) as { ppl: number; tokens: number });
    assert.ok(Math.abs(l!.ppl - b!.ppl) / b!.ppl > 1e-3);
    assert.ok(Math.abs(z!.ppl - b!.ppl) / b!.ppl < 1e-4);
    assert.equal(w!.tokens, b!.tokens);
    assert.notEqual(w!.ppl, b!.ppl);
  });

  test('--engine lab: the engine log-probabilities on the llama.cpp tokens match llama.cpp', async () => {
    // from source: the engine finds its WASM kernels beside its own files (a bundle would need them copied)
    const [lab, llama] = await Promise.all([
      cliFromSource('logprobs', model, '--text', TEXT, '--engine', 'lab', '--json'),
      cli('logprobs', model, '--text', TEXT, '--json'),
    ]);
    assert.equal(lab.code, 0, lab.stderr);
    const a = JSON.parse(lab.stdout);
    const b = JSON.parse(llama.stdout);
    assert.deepEqual(a.tokens, b.tokens);
    assert.deepEqual(a.pieces, b.pieces);
    assert.equal(a.logprobs[0], null);
    assert.equal(a.logprobs.length, b.logprobs.length);
    for (let i = 1; i < a.tokens.length; i++) assert.ok(Math.abs(a.logprobs[i] - b.logprobs[i]) < 1e-2, `token ${i}: ${a.logprobs[i]} vs ${b.logprobs[i]}`);
  });

  test('a corrupt model: exit 1, one line on stderr, nothing on stdout (every command)', async () => {
    const corrupt = path.join(dir, 'corrupt.gguf');
    const bytes = fs.readFileSync(model);
    fs.writeFileSync(corrupt, bytes.subarray(0, Math.floor(bytes.length / 3)));
    const runs = await Promise.all([
      cli('generate', corrupt, '--prompt', 'x'),
      cli('logprobs', corrupt, '--text', 'x', '--json'),
      cli('ppl', corrupt, '--file', textFile),
    ]);
    for (const r of runs) assertOneLineError(r, 1, /corrupt\.gguf: not a valid GGUF file/);
  });

  test('other failures: missing files, a wrong adapter → exit 1, one line', async () => {
    const wrongArch = await writeTestLora(path.join(dir, 'qwen-lora.gguf'), { arch: 'qwen2', targets: llamaTargets(1, 64, 128) });
    const runs = await Promise.all([
      cli('generate', path.join(dir, 'missing.gguf'), '--prompt', 'x'),
      cli('ppl', model, '--file', path.join(dir, 'missing.txt')),
      cli('generate', model, '--prompt', 'x', '--lora', wrongArch),
    ]);
    assertOneLineError(runs[0]!, 1, /file not found/);
    assertOneLineError(runs[1]!, 1, /cannot read/);
    assertOneLineError(runs[2]!, 1, /for 'qwen2' models/);
  });

  test('usage errors exit 2', async () => {
    const runs = await Promise.all([
      cli('generate', model),
      cli('generate', model, '--prompt', 'x', '--max-tokens', 'many'),
      cli('logprobs', model, '--text', 'x', '--engine', 'other'),
      cli('ppl', '--file', textFile),
      cli('ppl', model, '--file', textFile, '--bogus'),
      cli('generate', model, '--prompt', 'x', '--lora-scale', '2'),
    ]);
    for (const r of runs) assertOneLineError(r, 2);
    assert.match(runs[0]!.stderr, /--prompt is required/);
    assert.match(runs[1]!.stderr, /--max-tokens must be an integer/);
  });
});
