// Acceptance of DNO iterations (model-lab train --method dno) on the demo model: the oracle is a judge command that
// scores 1 when a completion contains `readonly` (the base writes it in under a tenth of its samples after these
// prompts) and 0 otherwise; seed pairs give a gold answer per prompt (the real next line with `readonly` added).
// Two iterations — the second by resuming the run for one more — must raise the share of sampled completions with
// the property iteration over iteration, chain the adapter variants, take the second iteration's reference from
// the first adapter, and return the iterate with the best held-out metric.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LlamaRuntime } from '../../../src/runtime/core/LlamaRuntime.js';
import { sha256File } from '../../../src/workspace/index.js';
import { bundleCli, repoRoot, type CliHarness } from '../cli/cliHarness.js';
import { PROPERTY, propertyPairs, writePropertyJudge } from './dnoProperty.js';

const DEMO = path.join(repoRoot, 'media/models/demo.gguf');

/** Share of sampled completions (temperature 0.7, two seeds per prompt) that contain the property. */
async function propertyRate(adapter: string | null, prompts: string[]): Promise<number> {
  const rt = new LlamaRuntime();
  await rt.initialize({ gpu: 'off', threads: 1, logLevel: 'error' });
  try {
    await rt.loadModel({ id: 'm', path: DEMO });
    await rt.createSession({ id: 's', modelId: 'm', contextSize: 256, lora: adapter ? [{ path: adapter }] : undefined });
    let hits = 0;
    for (const [i, prompt] of prompts.entries()) {
      for (const seed of [1, 2]) {
        await rt.resetSession('s');
        const g = await rt.generate({ sessionId: 's', generationId: `g${i}-${seed}`, prompt, maxTokens: 12, temperature: 0.7, topP: 0.95, seed: 7000 + 10 * i + seed });
        if (g.text.includes(PROPERTY)) hits++;
      }
    }
    return hits / (2 * prompts.length);
  } finally {
    await rt.dispose();
  }
}

describe('model-lab train --method dno on the demo model', () => {
  let harness: CliHarness;
  let dir: string;
  before(async () => {
    harness = await bundleCli();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-dno-'));
  });
  after(() => {
    harness.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('two iterations with a judge command raise the property iteration over iteration; variants chained; best kept', async (t) => {
    const pairs = propertyPairs(60, 3);
    const promptsFile = path.join(dir, 'prompts.jsonl');
    fs.writeFileSync(promptsFile, pairs.map((p) => JSON.stringify({ prompt: p.prompt })).join('\n') + '\n');
    const pairsFile = path.join(dir, 'pairs.jsonl');
    fs.writeFileSync(pairsFile, pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');
    const judge = writePropertyJudge(dir);
    const data = path.join(dir, 'data');
    const dno = async (...args: string[]): Promise<Record<string, any>> => {
      // MODEL_LAB_THREADS=1 (the harness): llama.cpp's spinning threads are slow on a busy 2-core machine
      const r = await harness.runFromSource(['train', DEMO, '--method', 'dno', '--prompts', promptsFile, '--pairs', pairsFile,
        '--judge-command', judge, '--max-tokens', '12', '--data', data, '--json', ...args], { timeoutMs: 1_800_000 });
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };

    const first = await dno('--iterations', '1');
    assert.equal(first.iterations.length, 1);
    // continuing the run for one more iteration reads the history and leaves iteration 1 as it was
    const r = await dno('--iterations', '2', '--resume', first.run);
    assert.equal(r.run, first.run);
    const [it1, it2] = r.iterations;
    assert.equal(r.iterations.length, 2);
    assert.deepEqual(it1, first.iterations[0]);

    // the chain: iteration 2's variant names iteration 1's as its previous iterate; both are adapters of the demo model
    assert.equal(it2.previousVariantId, it1.variantId);
    const manifest = (it: { adapter: string }) => JSON.parse(fs.readFileSync(path.join(path.dirname(it.adapter), 'manifest.json'), 'utf8'));
    const [m1, m2] = [manifest(it1), manifest(it2)];
    assert.deepEqual([m1.kind, m1.parent.file, m1.parameters.dno.iteration, m1.parameters.dno.previous], ['adapter', DEMO, 1, null]);
    assert.deepEqual([m2.kind, m2.parent.file, m2.parameters.dno.iteration, m2.parameters.dno.previous], ['adapter', DEMO, 2, it1.variantId]);

    // iteration 2 started from adapter 1 and took its reference from it; iteration 1 from the base with no adapter
    const config = (t: number) => JSON.parse(fs.readFileSync(path.join(r.run, `iter-${t}`, 'train', 'config.json'), 'utf8'));
    assert.equal(config(1).reference, undefined);
    assert.equal(config(1).initId, undefined);
    assert.equal(config(2).reference, 'init');
    assert.equal(config(2).initId, await sha256File(it1.adapter));
    // at most one epoch over the new and replayed pairs; earlier pairs were mixed in
    for (const it of [it1, it2]) assert.ok(it.steps <= Math.ceil((it.pairs + it.replayed) / 8) && it.replayed > 0, JSON.stringify(it));

    // the best iterate is the one with the highest held-out metric, and it is what `out` names
    const best = [it1, it2].reduce((a, b) => (b.metric > a.metric ? b : a));
    assert.equal(r.best, best.iteration);
    assert.equal(r.out, best.adapter);
    const history = JSON.parse(fs.readFileSync(path.join(r.run, 'dno.json'), 'utf8'));
    assert.equal(history.best, best.iteration);
    assert.ok(r.peakRssBytes > 0 && r.seconds > 0 && r.steps === it1.steps + it2.steps);
    assert.ok(r.heldOutAccuracyBefore !== undefined && r.heldOutAccuracyAfter !== undefined);

    // the property's share in sampled completions rises iteration over iteration: in the samples each iteration
    // ranked (base, then iterate 1: 4 per training prompt) and on fresh prompts with the final adapter
    const fresh = propertyPairs(24, 77).map((p) => p.prompt);
    const [base, after1, after2] = [await propertyRate(null, fresh), await propertyRate(it1.adapter, fresh), await propertyRate(it2.adapter, fresh)];
    const shares = `samples ranked: ${it1.topShare} → ${it2.topShare}; fresh prompts: base ${base}, iterate 1 ${after1}, iterate 2 ${after2}; metric ${r.baseline.metric} → ${it1.metric} → ${it2.metric}`;
    t.diagnostic(shares);
    assert.ok(it1.topShare <= 0.2 && base <= 0.2, shares);
    assert.ok(it2.topShare >= it1.topShare + 0.2 && after1 >= base + 0.2, shares);
    assert.ok(after2 >= after1 + 0.1, shares);
    assert.ok(it2.metric > r.baseline.metric + 0.3, shares);
  });
});
