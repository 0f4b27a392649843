// DNO's oracles on real components: the demo model as its own judge (expected rubric score from llama.cpp's
// log-probs) gives the same scores for the same seeded samples, within the rubric's range, and the pairs built from
// them obey the margin rule; a judge command reads the candidate on stdin and the prompt from the environment. The
// CLI refuses a missing or non-GGUF judge, an empty prompt file, and a failing command with one line each.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LlamaRuntime } from '../../../src/runtime/core/LlamaRuntime.js';
import { completionLogprob } from '../../../src/evaluate/completionLogprob.js';
import { commandOracle, DEFAULT_SCORE_RUBRIC, dnoPairs, JUDGE_SCORES, judgeModelOracle, scorePrompt, type DnoCandidate } from '../../../src/tune/dno/index.js';
import { bundleCli, repoRoot, type CliHarness } from '../cli/cliHarness.js';
import { syntheticPairs } from './syntheticPairs.js';

const DEMO = path.join(repoRoot, 'media/models/demo.gguf');
let dir: string;

describe('DNO oracles', () => {
  let harness: CliHarness;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-dno-judge-'));
    harness = await bundleCli();
  });
  after(() => {
    harness.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the demo model as its own judge: seeded samples score the same twice, in 1–6; pairs keep the margin', async () => {
    const rt = new LlamaRuntime();
    // one thread: llama.cpp's spinning threads are slow on a busy 2-core machine
    await rt.initialize({ gpu: 'off', threads: 1, logLevel: 'error' });
    try {
      await rt.loadModel({ id: 'm', path: DEMO });
      const prompts = syntheticPairs(repoRoot, 2, 21).map((p) => p.prompt);
      const sampleAll = async (): Promise<string[][]> => {
        await rt.createSession({ id: 's', modelId: 'm', contextSize: 256 });
        try {
          const out: string[][] = [];
          for (const [i, prompt] of prompts.entries()) {
            const answers: string[] = [];
            for (let k = 0; k < 3; k++) {
              await rt.resetSession('s');
              answers.push((await rt.generate({ sessionId: 's', generationId: `g${i}${k}`, prompt, maxTokens: 6, temperature: 0.7, topP: 0.95, seed: 100 + 10 * i + k })).text);
            }
            out.push(answers);
          }
          return out;
        } finally {
          await rt.disposeSession('s');
        }
      };
      const judge = judgeModelOracle(rt, { modelId: 'm', label: 'demo' }, { contextSize: 512 });
      assert.deepEqual(judge.range, { min: 1, max: 6 });
      const [a, b] = [await sampleAll(), await sampleAll()];
      assert.deepEqual(a, b, 'the same seeds give the same samples');
      const scores = async (answers: string[][]): Promise<number[][]> => {
        const out: number[][] = [];
        for (const [i, p] of prompts.entries()) out.push(await judge.score(p, answers[i]!));
        return out;
      };
      const [s1, s2] = [await scores(a), await scores(b)];
      assert.deepEqual(s1, s2, 'the judge reads its score from log-probs, not from sampled text');
      assert.ok(s1.flat().every((x) => x >= 1 && x <= 6), `scores in the rubric's range: ${s1.flat().join(' ')}`);
      assert.ok(new Set(s1.flat()).size > 1, 'different answers get different scores');
      // the expected score, each score token's log-prob taken on its own: what the judge's one-pass reading must give
      await rt.createSession({ id: 'j', modelId: 'm', contextSize: 512, scoring: true });
      try {
        const text = scorePrompt(DEFAULT_SCORE_RUBRIC, prompts[0]!, a[0]![0]!);
        const lps: number[] = [];
        for (const x of JUDGE_SCORES) lps.push((await completionLogprob(rt, { sessionId: 'j', modelId: 'm' }, text, ` ${x}`)).logprob);
        const w = lps.map((l) => Math.exp(l));
        const expected = JUDGE_SCORES.reduce((acc, x, i) => acc + (x * w[i]!) / w.reduce((p, q) => p + q, 0), 0);
        assert.ok(Math.abs(expected - s1[0]![0]!) < 1e-9, `expected score ${expected}, judge ${s1[0]![0]}`);
      } finally {
        await rt.disposeSession('j');
      }

      // rules loose enough that this judge's scores (near the middle of the scale) make pairs
      const spread = Math.max(...s1.flat()) - Math.min(...s1.flat());
      const rules = { minPositive: 1, marginGold: spread / 4, marginSample: spread / 8 };
      const scored = prompts.map((prompt, i) => ({ prompt, candidates: a[i]!.map((text, j): DnoCandidate => ({ text, source: 'sample', score: s1[i]![j]! })) }));
      const made = dnoPairs(scored, rules, 1);
      assert.equal(made.pairs.length + made.skipped.low + made.skipped.tie + made.skipped.margin, prompts.length);
      for (const p of made.pairs) {
        const c = scored.find((x) => x.prompt === p.prompt)!.candidates;
        assert.equal(p.chosenScore, Math.max(...c.map((x) => x.score)));
        assert.equal(p.rejectedScore, Math.min(...c.map((x) => x.score)));
        assert.ok(p.chosenScore! - p.rejectedScore! >= rules.marginSample, `margin of ${JSON.stringify(p)}`);
      }
    } finally {
      await rt.dispose();
    }
  });

  test('a judge command gets the candidate on stdin and the prompt in MODEL_LAB_PROMPT; a failure is one line', async () => {
    const script = path.join(dir, 'judge.sh');
    fs.writeFileSync(script, '#!/bin/sh\nread line\nif [ "$line" = "$MODEL_LAB_PROMPT" ]; then echo 1; else echo 0.25; fi\n');
    const oracle = commandOracle(`sh ${script}`);
    assert.deepEqual(await oracle.score('same', ['same', 'other']), [1, 0.25]);
    const failing = commandOracle('echo "tests failed: 3 of 7" >&2; exit 3');
    await assert.rejects(failing.score('p', ['x']), (e: Error & { code?: string }) => e.code === 'DNO_JUDGE' && /exited with 3: tests failed: 3 of 7$/.test(e.message));
    await assert.rejects(commandOracle('echo pass').score('p', ['x']), /printed 'pass', not a score/);
  });

  test('the CLI refuses a missing or non-GGUF judge, no prompts and a failing command with one line', async () => {
    const prompts = path.join(dir, 'prompts.txt');
    fs.writeFileSync(prompts, 'function add(a: number, b: number)\nconst x =\n');
    const dno = (...args: string[]) => harness.run(['train', DEMO, '--method', 'dno', '--data', path.join(dir, 'data'), '--json', ...args], { timeoutMs: 300_000 });
    let r = await dno('--prompts', prompts, '--judge', path.join(dir, 'nope.gguf'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /judge model '.*nope\.gguf' does not exist/);
    fs.writeFileSync(path.join(dir, 'text.gguf'), 'not a model at all, just text');
    r = await dno('--prompts', prompts, '--judge', path.join(dir, 'text.gguf'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /judge model '.*text\.gguf' is not a GGUF model we can read/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    fs.writeFileSync(path.join(dir, 'empty.txt'), '\n\n');
    r = await dno('--prompts', path.join(dir, 'empty.txt'), '--judge-command', 'echo 1');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /holds no prompts/);
    r = await dno('--prompts', prompts);
    assert.equal(r.code, 2, 'no oracle is a usage error');
    r = await dno('--prompts', prompts, '--judge-command', 'echo "no such tool" >&2; exit 127', '--max-tokens', '4');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /judge command .* exited with 127: no such tool/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
});
