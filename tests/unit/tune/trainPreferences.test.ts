import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRandomModel, loadEngineModel, type EngineModel } from '../../../src/engine/model/index.js';
import { Rng } from '../../../src/engine/model/random.js';
import { writeTestModel } from '../../../src/engine/synth/index.js';
import { loadCheckpoint } from '../../../src/engine/train/index.js';
import { pairLogps, trainPreferences, DEFAULT_TUNE, type EncodedPair, type TuneConfig } from '../../../src/engine/tune/index.js';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'ml-tune-'));

/** Pairs whose chosen completion is the token pair [5, 6] and whose rejected one is random: a learnable preference. */
function pairs(n: number, seed: number, vocab = 32): EncodedPair[] {
  const rng = new Rng(seed);
  const tok = (): number => 3 + Math.floor(rng.next() * (vocab - 3));
  return Array.from({ length: n }, () => {
    const prompt = [1, tok(), tok(), tok()];
    return { chosen: Int32Array.from([...prompt, 5, 6]), rejected: Int32Array.from([...prompt, tok(), tok()]), chosenStart: 4, rejectedStart: 4 };
  });
}

const config = (over: Partial<TuneConfig> = {}): TuneConfig => ({
  ...DEFAULT_TUNE, lora: { r: 4, alpha: 8, targets: DEFAULT_TUNE.lora.targets }, steps: 12, batchSize: 4, microBatch: 2,
  lr: 5e-2, minLr: 1e-3, warmupSteps: 2, checkpointEvery: 4, evalEvery: 6, beta: 0.5, ...over,
});

const tinyModel = (): EngineModel => createRandomModel({ nVocab: 32, nEmbd: 16, nLayer: 2, nHead: 2, nFf: 32, contextLength: 32, initStd: 0.2, seed: 3 });
const readMetrics = (dir: string): Array<Record<string, number>> =>
  fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

test('DPO on a frozen base: the adapter learns the preference; TRL-named metrics; reference computed once and cached', async () => {
  const dir = tmp();
  const model = tinyModel();
  try {
    const train = pairs(16, 1), heldOut = pairs(8, 2);
    const before = pairLogps(model, heldOut);
    const r = await trainPreferences(dir, model, config({ steps: 24, evalEvery: 12 }), { train, heldOut, baseId: 'tiny' });
    const m = readMetrics(dir);
    assert.equal(m.length, 24);
    for (const k of ['loss', 'rewards/chosen', 'rewards/rejected', 'rewards/margins', 'rewards/accuracies', 'logps/chosen', 'logps/rejected', 'grad_norm', 'learning_rate', 'tokens/s']) {
      assert.ok(m.every((x) => Number.isFinite(x[k])), `metric ${k}`);
    }
    // a fresh adapter (B = 0) is the base: step 1 has zero rewards and loss ln 2
    assert.ok(Math.abs(m[0]!.loss! - Math.LN2) < 1e-9 && m[0]!['rewards/margins'] === 0);
    assert.ok(m[23]!['rewards/margins']! > 0.5 && m[23]!.loss! < 0.4, `end: ${JSON.stringify(m[23])}`);
    assert.deepEqual(m.filter((x) => x['eval/accuracy'] !== undefined).map((x) => x.step), [12, 24]);
    assert.ok(m[23]!['eval/rewards/accuracies']! >= 0.75);
    // the base itself is untouched: with no adapter the log-probs are the same as before training
    assert.deepEqual(pairLogps(model, heldOut), before);
    const ref = JSON.parse(fs.readFileSync(path.join(dir, 'reference-logps.json'), 'utf8'));
    assert.deepEqual(ref.chosen.slice(16), Array.from(before.chosen));
    assert.equal(loadCheckpoint(path.join(dir, 'checkpoint.bin'))!.meta.params.length, r.adapter.parameters().length);
  } finally {
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a preference run killed or cancelled mid-way resumes to the very adapter of an uninterrupted run', async () => {
  const a = tmp(), b = tmp(), c = tmp();
  const model = tinyModel();
  try {
    const train = pairs(12, 4);
    const full = await trainPreferences(a, model, config({ steps: 10 }), { train, baseId: 'tiny' });
    await assert.rejects(trainPreferences(b, model, config({ steps: 10 }), { train, baseId: 'tiny' }, {
      onProgress: (p) => { if (p.step === 6) throw new Error('killed'); },
    }), /killed/);
    const resumed = await trainPreferences(b, model, config({ steps: 10 }), { train, baseId: 'tiny' });
    assert.equal(resumed.resumedFrom, 4);
    const ac = new AbortController();
    await assert.rejects(trainPreferences(c, model, config({ steps: 10 }), { train, baseId: 'tiny' }, {
      signal: ac.signal, onProgress: (p) => { if (p.step === 7) ac.abort(); },
    }), { code: 'ABORTED' });
    const resumed2 = await trainPreferences(c, model, config({ steps: 10 }), { train, baseId: 'tiny' });
    assert.equal(resumed2.resumedFrom, 7);
    const want = full.adapter.parameters();
    for (const got of [resumed.adapter.parameters(), resumed2.adapter.parameters()]) {
      want.forEach((p, i) => assert.deepEqual(got[i]!.data, p.data, p.name));
    }
    const strip = (m: Array<Record<string, number>>): unknown[] => m.map(({ step, loss, grad_norm }) => ({ step, loss, grad_norm }));
    assert.deepEqual(strip(readMetrics(b)), strip(readMetrics(a)));
    // another base or other settings never resume this run
    await assert.rejects(trainPreferences(a, model, config({ steps: 10 }), { train, baseId: 'other' }), { code: 'TRAIN_RESUME_MISMATCH' });
  } finally {
    model.dispose();
    for (const d of [a, b, c]) fs.rmSync(d, { recursive: true, force: true });
  }
});

test('IPO and SFT objectives move the model the preferred way; bad settings are refused', async () => {
  const model = tinyModel();
  const dirs: string[] = [];
  try {
    const train = pairs(16, 5);
    for (const method of ['ipo', 'sft'] as const) {
      const dir = tmp();
      dirs.push(dir);
      const r = await trainPreferences(dir, model, config({ method, steps: 20 }), { train, baseId: 'tiny' });
      const pol = pairLogps(model, train, { lora: r.adapter });
      const n = train.length;
      const chosenGain = pol.chosen.reduce((s, v, i) => s + v - r.reference.chosen[i]!, 0) / n;
      // per-token means: every completion here is 2 tokens
      const margin = pol.chosen.reduce((s, v, i) => s + (v - r.reference.chosen[i]!) - (pol.rejected[i]! - r.reference.rejected[i]!), 0) / n / 2;
      // SFT raises the chosen answers; IPO drives the mean log-ratio margin towards 1/(2β) = 1 and no further
      if (method === 'sft') assert.ok(chosenGain > 0.5, `sft: chosen log-prob gain ${chosenGain}`);
      else assert.ok(margin > 0.6 && margin < 1.4, `ipo margin ${margin}`);
    }
    const dir = tmp();
    dirs.push(dir);
    await assert.rejects(trainPreferences(dir, model, config({ beta: 0 }), { train, baseId: 'tiny' }), { code: 'TUNE_CONFIG' });
    await assert.rejects(trainPreferences(dir, model, config(), { train: [], baseId: 'tiny' }), { code: 'TUNE_NO_PAIRS' });
    await assert.rejects(trainPreferences(dir, model, config({ lora: { r: 2, alpha: 4, targets: ['attn_qkv'] } }), { train, baseId: 'tiny' }), { code: 'TUNE_CONFIG' });
  } finally {
    model.dispose();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
});

test('a quantized phi3 base trains with adapters on the fused attn_qkv and ffn_up, its weights staying in Q8_0', async () => {
  const dir = tmp();
  try {
    const file = path.join(dir, 'base.gguf');
    await writeTestModel(file, { arch: 'phi3', weightType: 'Q8_0', nEmbd: 64, nLayer: 1, nFf: 128, contextLength: 64, seed: 2 });
    const model = await loadEngineModel(file);
    try {
      const targets = model.linears().filter((w) => w.name.startsWith('blk.'));
      assert.ok(targets.every((w) => !w.data && w.handle), 'weights stay stored (no F32 copy)');
      const train = pairs(8, 6, model.spec.nVocab);
      const r = await trainPreferences(path.join(dir, 'run'), model, config({ steps: 8, lora: { r: 4, alpha: 8, targets: ['attn_qkv', 'ffn_up'] } }),
        { train, baseId: 'q8' });
      assert.deepEqual([...r.adapter.pairs.keys()].sort(), ['blk.0.attn_qkv', 'blk.0.ffn_up']);
      assert.ok(r.metrics.at(-1)!['rewards/margins']! > 0.1, JSON.stringify(r.metrics.at(-1)));
      assert.ok(targets.every((w) => !w.data && !w.grad));
    } finally {
      model.dispose();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
