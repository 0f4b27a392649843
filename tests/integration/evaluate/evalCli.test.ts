// `model-lab eval` as a user runs it on the built-in demo model: its numbers against `model-lab ppl` and against
// log-probabilities computed here, directly from llama.cpp; the judge's two orders; the files it leaves.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { judgePrompt, DEFAULT_RUBRIC } from '../../../src/evaluate/winRate.js';
import { LlamaRuntime } from '../../../src/runtime/core/LlamaRuntime.js';
import { bundleCli, repoRoot, type CliHarness, type CliRun } from '../cli/cliHarness.js';
import { tempDir, testModel, writeTestLora } from '../runtime/fixtures.js';

const DEMO = path.join(repoRoot, 'media/models/demo.gguf');
const TS_A = 'interface Point {\n  x: number;\n  y: number;\n}\n';
const TS_B = 'declare function parseInt(string: string, radix?: number): number;\n';

describe('model-lab eval', () => {
  let harness: CliHarness;
  let dir: string;
  let rt: LlamaRuntime;
  const cli = (...args: string[]): Promise<CliRun> => harness.run(args, { cwd: dir, timeoutMs: 240_000 });
  const json = (r: CliRun): Record<string, any> => {
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout);
  };

  /** Sum of log p over the tokens of `completion` after `prompt`, straight from the runtime. */
  async function completionLogprob(modelId: string, prompt: string, completion: string, lora?: Array<{ path: string }>): Promise<number> {
    const p = rt.tokenize({ modelId, text: prompt, addBos: true }).tokens;
    const r = await rt.logprobs({ modelId, text: prompt + completion, lora });
    let k = 0;
    while (k < p.length && r.tokens[k] === p[k]) k++;
    return r.logprobs.slice(Math.max(1, k)).reduce<number>((s, x) => s + (x ?? 0), 0);
  }

  before(async () => {
    harness = await bundleCli();
    dir = tempDir();
    fs.mkdirSync(path.join(dir, 'texts'));
    fs.writeFileSync(path.join(dir, 'texts', 'a.ts'), TS_A);
    fs.writeFileSync(path.join(dir, 'texts', 'b.ts'), TS_B);
    fs.writeFileSync(path.join(dir, 'texts', 'notes.md'), 'not matched by the glob');
    rt = new LlamaRuntime();
    await rt.initialize({ gpu: 'off', threads: 1, logLevel: 'error' });
    await rt.loadModel({ id: 'demo', path: DEMO });
  });
  after(async () => {
    await rt?.dispose();
    harness?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('--ppl on one file equals `model-lab ppl` and exp(−mean log p) of the runtime\'s own log-probs', async () => {
    const file = path.join(dir, 'texts', 'a.ts');
    const ev = json(await cli('eval', DEMO, '--ppl', file, '--json', '--out', path.join(dir, 'ppl-one')));
    const ppl = json(await cli('ppl', DEMO, '--file', file, '--json'));
    assert.equal(ev.ppl, ppl.ppl);
    assert.equal(ev.tokens, ppl.tokens);
    const lp = await rt.logprobs({ modelId: 'demo', text: TS_A });
    const scored = lp.logprobs.filter((x): x is number => x !== null);
    assert.ok(Math.abs(ev.ppl - Math.exp(-scored.reduce((s, x) => s + x, 0) / scored.length)) < 1e-6 * ev.ppl);
  });

  test('--ppl with a glob weighs each file by its tokens; files land in <data>/evals/<id>/', async () => {
    const ev = json(await cli('eval', DEMO, '--ppl', 'texts/*.ts', '--json', '--data', 'lab'));
    assert.deepEqual(ev.files.map((f: { name: string }) => f.name), ['texts/a.ts', 'texts/b.ts']);
    const nll = ev.files.reduce((s: number, f: { ppl: number; tokens: number }) => s + Math.log(f.ppl) * f.tokens, 0);
    assert.ok(Math.abs(ev.ppl - Math.exp(nll / ev.tokens)) < 1e-9 * ev.ppl);
    assert.equal(path.dirname(ev.out), path.join(dir, 'lab', 'evals'));
    assert.deepEqual(fs.readdirSync(ev.out).sort(), ['report.html', 'result.json', 'results.csv']);
    const result = JSON.parse(fs.readFileSync(path.join(ev.out, 'result.json'), 'utf8'));
    assert.equal(result.kind, 'perplexity');
    assert.equal(result.id, path.basename(ev.out));
    const csv = fs.readFileSync(path.join(ev.out, 'results.csv'), 'utf8').trim().split('\r\n');
    assert.equal(csv.length, 4, 'header, two files, the total');
    assert.match(fs.readFileSync(ev.report, 'utf8'), /<svg[^>]*>.*texts\/b\.ts/s);
  });

  test('--pairs: accuracy and margins equal log-probs computed here, with and without an adapter', async () => {
    const pairs = [
      { prompt: 'interface Point {\n', chosen: '  x: number;\n  y: number;\n}\n', rejected: ' ;;; {{ number x y\n' },
      { prompt: 'declare function ', chosen: 'parseFloat(string: string): number;\n', rejected: 'zq zq zq zq zq zq\n' },
      { prompt: 'type A = ', chosen: 'string | number;\n', rejected: '}}}}}}\n' },
    ];
    const file = path.join(dir, 'pairs.jsonl');
    fs.writeFileSync(file, pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');
    // the demo model is phi3 (4 layers, 192 wide, FFN 512): attn_qkv holds q | k | v, ffn_up gate | up
    const targets = Object.fromEntries(Array.from({ length: 4 }, (_, l) => [[`blk.${l}.attn_qkv.weight`, [192, 576]], [`blk.${l}.ffn_up.weight`, [192, 1024]]]).flat()) as Record<string, [number, number]>;
    const lora = await writeTestLora(path.join(dir, 'lora.gguf'), { arch: 'phi3', targets, scale: 0.05 });
    const ev = json(await cli('eval', DEMO, '--pairs', file, '--lora', lora, '--json', '--out', path.join(dir, 'pairs-eval')));
    const result = JSON.parse(fs.readFileSync(path.join(dir, 'pairs-eval', 'result.json'), 'utf8'));
    const runs: Array<[string, Array<{ path: string }> | undefined, number[]]> = [['with', [{ path: lora }], result.result.margins], ['without', undefined, result.withoutAdapter.margins]];
    for (const [which, adapter, margins] of runs) {
      for (const [i, p] of pairs.entries()) {
        const want = (await completionLogprob('demo', p.prompt, p.chosen, adapter)) - (await completionLogprob('demo', p.prompt, p.rejected, adapter));
        assert.ok(Math.abs(margins[i] - want) < 1e-4, `${which} adapter, pair ${i}: ${margins[i]} vs ${want}`);
      }
    }
    const acc = (ms: number[]): number => ms.filter((m) => m > 0).length / ms.length;
    assert.equal(ev.accuracy, acc(result.result.margins));
    assert.equal(ev.accuracyWithoutAdapter, acc(result.withoutAdapter.margins));
    assert.equal(ev.pairs, 3);
    assert.ok(ev.accuracyWithoutAdapter >= 2 / 3, 'the demo model prefers TypeScript to noise');
  });

  test('--prompts: both models answer, the judge sees each pair in both orders, and its margins are the runtime\'s', async () => {
    const other = await testModel(dir, 'random.gguf', { contextLength: 256 });
    const prompts = path.join(dir, 'prompts.jsonl');
    fs.writeFileSync(prompts, ['interface Size {', 'declare const <b>', 'function add('].map((p) => JSON.stringify({ prompt: p })).join('\n'));
    const ev = json(await cli('eval', DEMO, '--prompts', prompts, '--against', other, '--judge', DEMO, '--max-tokens', '8', '--json', '--out', path.join(dir, 'win')));
    const result = JSON.parse(fs.readFileSync(path.join(dir, 'win', 'result.json'), 'utf8'));
    assert.equal(ev.n, 3);
    assert.equal(ev.wins + ev.losses + ev.ties, 3);
    assert.equal(ev.winRate, (ev.wins + ev.ties / 2) / 3);
    for (const item of result.result.items) {
      assert.deepEqual(item.orders.map((o: { first: string }) => o.first), ['a', 'b'], 'A first, then B first');
      const [o1, o2] = item.orders;
      assert.equal(item.verdict, o1.prefers === o2.prefers ? o1.prefers : 'tie');
      // the first order's margin recomputed here: log p(" A") − log p(" B") after the judge prompt
      const text = judgePrompt(DEFAULT_RUBRIC, item.prompt, item.a.text, item.b.text);
      const margin = (await completionLogprob('demo', text, ' A')) - (await completionLogprob('demo', text, ' B'));
      assert.ok(Math.abs(o1.margin - margin) < 1e-4, `${o1.margin} vs ${margin}`);
      assert.equal(o1.prefers, margin >= 0 ? 'a' : 'b');
    }
    const html = fs.readFileSync(ev.report, 'utf8');
    assert.match(html, /A first: prefers [AB]/);
    assert.match(html, /B first: prefers [AB]/);
    assert.ok(html.includes('declare const &#60;b&#62;') && !html.includes('declare const <b>'), 'prompts are escaped in the report');
  });

  test('mistakes are one line: usage exit 2, unreadable input exit 1', async () => {
    const none = await cli('eval', DEMO, '--json');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^model-lab eval: give one of --ppl, --pairs or --prompts/);
    const noJudge = await cli('eval', DEMO, '--prompts', 'p.txt', '--against', DEMO);
    assert.equal(noJudge.code, 2);
    assert.match(noJudge.stderr, /--judge/);
    const missing = await cli('eval', DEMO, '--ppl', 'nothing/*.ts');
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /^model-lab eval: no file matches nothing\/\*\.ts\n$/);
  });
});
