import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Rng } from '../../../src/engine/model/random.js';
import { loadCheckpoint, trainModel, type TrainConfig, type TrainData } from '../../../src/engine/train/index.js';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));

/** Data a tiny model can learn: each token follows from the previous one, except 10% random tokens. */
function patternData(n: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  const out = new Int32Array(n);
  let prev = 3;
  for (let i = 0; i < n; i++) {
    prev = rng.next() < 0.1 ? 3 + Math.floor(rng.next() * 29) : 3 + ((prev - 3) * 7 + 5) % 29;
    out[i] = prev;
  }
  return out;
}

const data: TrainData = { train: patternData(4000, 1), heldOut: patternData(600, 2), bosId: 1 };

function config(over: Partial<TrainConfig> = {}): TrainConfig {
  return {
    model: { nVocab: 32, nEmbd: 16, nLayer: 1, nHead: 2, nFf: 32, contextLength: 32, seed: 7 },
    seqLen: 17, batchSize: 4, microBatch: 2, steps: 30,
    lr: 3e-2, minLr: 1e-3, warmupSteps: 3, weightDecay: 0.01, beta1: 0.9, beta2: 0.99, gradClip: 1,
    seed: 3, checkpointEvery: 5, evalEvery: 10, evalWindows: 4,
    ...over,
  };
}

const readMetrics = (dir: string): Array<Record<string, number>> =>
  fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

test('loss and held-out loss go down; config, metrics and checkpoint are written', async () => {
  const dir = tmp();
  try {
    const progress: number[] = [];
    const r = await trainModel(dir, config({ steps: 60 }), data, { onProgress: (p) => progress.push(p.step) });
    const m = readMetrics(dir);
    assert.equal(m.length, 60);
    assert.deepEqual(progress, m.map((x) => x.step));
    const first = m[0]!.loss;
    assert.ok(Math.abs(first - Math.log(32)) < 0.5, `initial loss ${first} should be near ln(32)`);
    assert.ok(r.finalLoss < first - 0.8, `final ${r.finalLoss} vs first ${first}`);
    const evals = m.filter((x) => x.heldOutLoss !== undefined);
    assert.deepEqual(evals.map((x) => x.step), [10, 20, 30, 40, 50, 60]);
    // Held-out text follows the same rule: its loss ends far below uniform (ln 32 ≈ 3.47).
    assert.ok(evals[5]!.heldOutLoss! < Math.log(32) - 1.5, `held-out ${evals[5]!.heldOutLoss}`);
    assert.ok(m.every((x) => x.tokensPerSec > 0 && x.lr > 0 && x.gradNorm > 0));
    // Warmup then cosine decay to minLr.
    assert.ok(m[0]!.lr < m[2]!.lr);
    assert.ok(Math.abs(m[59]!.lr - 1e-3) < 2e-4);
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    assert.equal(cfg.steps, 60);
    assert.equal(cfg.trainTokens, 4000);
    const ck = loadCheckpoint(path.join(dir, 'checkpoint.bin'))!;
    assert.equal(ck.meta.step, 60);
    assert.equal(ck.meta.cursor, 240);
    r.model.dispose();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a run killed mid-way and resumed ends with the same weights and metrics as an uninterrupted run', async () => {
  const a = tmp();
  const b = tmp();
  try {
    const full = await trainModel(a, config({ steps: 14 }), data);
    // "Kill": an exception that is not a cancellation, after step 8 — nothing is saved beyond the step-5 checkpoint.
    await assert.rejects(
      trainModel(b, config({ steps: 14 }), data, { onProgress: (p) => { if (p.step === 8) throw new Error('killed'); } }),
      /killed/,
    );
    assert.equal(loadCheckpoint(path.join(b, 'checkpoint.bin'))!.meta.step, 5);
    assert.ok(!fs.existsSync(path.join(b, 'checkpoint.bin.tmp')));
    const resumed = await trainModel(b, config({ steps: 14 }), data);
    assert.equal(resumed.resumedFrom, 5);
    assert.equal(resumed.stepsRun, 9);
    const pa = full.model.trainableParameters();
    const pb = resumed.model.trainableParameters();
    for (let i = 0; i < pa.length; i++) assert.deepEqual(pb[i]!.data, pa[i]!.data, pa[i]!.name);
    const strip = (m: Array<Record<string, number>>): unknown[] => m.map(({ step, loss, lr, gradNorm, heldOutLoss }) => ({ step, loss, lr, gradNorm, heldOutLoss }));
    assert.deepEqual(strip(readMetrics(b)), strip(readMetrics(a)));
    full.model.dispose();
    resumed.model.dispose();
  } finally {
    fs.rmSync(a, { recursive: true, force: true });
    fs.rmSync(b, { recursive: true, force: true });
  }
});

test('cancelling saves the last finished step and resuming completes the run identically', async () => {
  const a = tmp();
  const b = tmp();
  try {
    const full = await trainModel(a, config({ steps: 9, evalEvery: 0 }), data);
    const ac = new AbortController();
    await assert.rejects(
      trainModel(b, config({ steps: 9, evalEvery: 0 }), data, { signal: ac.signal, onProgress: (p) => { if (p.step === 7) ac.abort(); } }),
      { code: 'ABORTED' },
    );
    assert.equal(loadCheckpoint(path.join(b, 'checkpoint.bin'))!.meta.step, 7);
    const resumed = await trainModel(b, config({ steps: 9, evalEvery: 0 }), data);
    assert.equal(resumed.resumedFrom, 7);
    const pa = full.model.trainableParameters();
    const pb = resumed.model.trainableParameters();
    for (let i = 0; i < pa.length; i++) assert.deepEqual(pb[i]!.data, pa[i]!.data, pa[i]!.name);
    full.model.dispose();
    resumed.model.dispose();
  } finally {
    fs.rmSync(a, { recursive: true, force: true });
    fs.rmSync(b, { recursive: true, force: true });
  }
});

test('a checkpoint from another configuration is refused, and bad settings are rejected', async () => {
  const dir = tmp();
  try {
    const r = await trainModel(dir, config({ steps: 5 }), data);
    r.model.dispose();
    const written = fs.readFileSync(path.join(dir, 'config.json'), 'utf8');
    await assert.rejects(trainModel(dir, config({ steps: 5, lr: 2e-2 }), data), { code: 'TRAIN_RESUME_MISMATCH' });
    // the refused run leaves the folder's config.json describing the run its checkpoint belongs to
    assert.equal(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'), written);
    assert.equal(JSON.parse(written).lr, 3e-2);
    await assert.rejects(trainModel(dir, config({ seqLen: 64 }), data), { code: 'TRAIN_CONFIG' });
    await assert.rejects(trainModel(dir, config({ batchSize: 3 }), data), { code: 'TRAIN_CONFIG' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
