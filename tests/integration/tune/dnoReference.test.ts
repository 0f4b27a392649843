// DNO's reference is the previous iterate: a preference run that starts from adapter A takes its reference
// log-probs from base + A. Those cached sums must be what llama.cpp gives with A loaded, and at step 0 the policy
// (a copy of A) equals the reference, so the first step's implicit rewards and margin are zero.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { loadEngineModel, LoraAdapter, saveLoraGguf } from '../../../src/engine/model/index.js';
import { writeTestModel } from '../../../src/engine/synth/index.js';
import { DEFAULT_TUNE, initAdapterShape, trainPreferences, type EncodedPair, type TuneConfig } from '../../../src/engine/tune/index.js';
import { EXACT_SCORING_CONTEXT, scoreTokens } from '../../../src/runtime/core/scoreTokens.js';

const config = (reference: 'base' | 'init'): TuneConfig => ({
  ...DEFAULT_TUNE, lora: { r: 4, alpha: 8, targets: ['attn_q', 'attn_v', 'ffn_up', 'ffn_down'] },
  steps: 1, batchSize: 4, microBatch: 4, warmupSteps: 0, checkpointEvery: 1, reference,
});

test('a run started from adapter A: reference log-probs are llama.cpp\'s with A loaded; step 0 has zero margin', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-dno-ref-'));
  const { getLlama } = await import('node-llama-cpp');
  const llama = await getLlama({ gpu: false, build: 'never' });
  try {
    const base = path.join(dir, 'base.gguf');
    await writeTestModel(base, { arch: 'llama', nEmbd: 64, nLayer: 2, contextLength: 128, seed: 11 });
    const model = await loadEngineModel(base);
    const a = LoraAdapter.create(model, { r: 4, alpha: 8, targets: ['attn_q', 'attn_v', 'ffn_up', 'ffn_down'], seed: 3 });
    let k = 1;
    for (const p of a.pairs.values()) for (let i = 0; i < p.b.length; i++) p.b[i] = Math.sin(k++ * 0.37) * 0.05;
    const file = path.join(dir, 'a.gguf');
    await saveLoraGguf(a, model, file);
    assert.deepEqual(await initAdapterShape(file), { rank: 4, alpha: 8, targets: ['attn_q', 'attn_v', 'ffn_up', 'ffn_down'] });
    const bBefore = Float32Array.from(a.pairs.values().next().value!.b);

    const seq = (seed: number, n: number): number[] => Array.from({ length: n }, (_, i) => 3 + ((i * 37 + seed * 101) % 240));
    const pairs: EncodedPair[] = Array.from({ length: 4 }, (_, i) => {
      const prompt = [1, ...seq(i, 8)];
      return { chosen: Int32Array.from([...prompt, ...seq(i + 10, 6)]), rejected: Int32Array.from([...prompt, ...seq(i + 20, 5)]), chosenStart: 9, rejectedStart: 9 };
    });
    const run = (reference: 'base' | 'init') => trainPreferences(path.join(dir, reference), model, config(reference),
      { train: pairs, baseId: 'test', init: { adapter: a, id: 'a' } });
    const fromInit = await run('init');

    // the cached reference equals llama.cpp's summed completion log-probs with A loaded
    const lm = await llama.loadModel({ modelPath: base });
    const ctx = await lm.createContext({ contextSize: 128, threads: 2, ...EXACT_SCORING_CONTEXT, lora: { adapters: [{ filePath: file, scale: 1 }] } });
    const sequence = ctx.getSequence();
    try {
      for (const [i, p] of pairs.entries()) {
        for (const side of ['chosen', 'rejected'] as const) {
          const ids = Array.from(p[side]);
          const lp = (await scoreTokens(sequence, ids, { window: 128 })).logprobs as number[];
          const theirs = lp.slice(9).reduce((s, v) => s + v, 0);
          const ours = fromInit.reference[side][i]!;
          assert.ok(Math.abs(theirs - ours) <= 1e-3 * (ids.length - 9), `pair ${i} ${side}: llama.cpp ${theirs}, engine reference ${ours}`);
        }
      }
    } finally {
      await ctx.dispose();
      await lm.dispose();
    }
    const cached = JSON.parse(fs.readFileSync(path.join(dir, 'init', 'reference-logps.json'), 'utf8')) as { chosen: number[] };
    assert.deepEqual(cached.chosen, Array.from(fromInit.reference.chosen));

    // step 1's metrics are computed before its update: policy = copy of A = reference, so rewards are zero
    const first = JSON.parse(fs.readFileSync(path.join(dir, 'init', 'metrics.jsonl'), 'utf8').split('\n')[0]!) as Record<string, number>;
    assert.ok(Math.abs(first['rewards/margins']!) < 1e-5 && Math.abs(first['rewards/chosen']!) < 1e-5, `first step: ${JSON.stringify(first)}`);
    // with the base as reference the same start has non-zero rewards (A changes the model): the check above can fail
    await run('base');
    const firstBase = JSON.parse(fs.readFileSync(path.join(dir, 'base', 'metrics.jsonl'), 'utf8').split('\n')[0]!) as Record<string, number>;
    assert.ok(Math.abs(firstBase['rewards/chosen']!) > 1e-3, `base reference: ${JSON.stringify(firstBase)}`);
    // the run trained a copy: A itself is still the reference it was
    assert.deepEqual(a.pairs.values().next().value!.b, bBefore);
    assert.notDeepEqual(fromInit.adapter.pairs.values().next().value!.b, bBefore);
    model.dispose();
  } finally {
    await llama.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
