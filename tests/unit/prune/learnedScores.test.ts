// Learned mask scores (movement, GUM) with frozen base weights: the cubic kept-fraction schedule, and that what they
// learn on the calibration text selects neurons that fit that text better than a random selection of the same size.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { readGguf } from '../../../src/engine/gguf/index.js';
import { createReferenceBackend, type KernelBackend } from '../../../src/engine/kernels/index.js';
import { batchLogprobs, loadEngineModel, makeBatch } from '../../../src/engine/model/index.js';
import { cubicKeepSchedule } from '../../../src/engine/prune/learnMaskScores.js';
import { allocateNeurons, CALIBRATION_SAMPLE, calibrationFromTexts, ffnLayout, scoreNeurons, type ScoreContext } from '../../../src/engine/prune/index.js';
import { writeTestModel } from '../../../src/engine/synth/index.js';
import { SpmTokenizer, tokenizerVocabFromGguf } from '../../../src/engine/tokenizer/index.js';

let dir = '';
let backend: KernelBackend;
let ctx: ScoreContext;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-prune-'));
  backend = createReferenceBackend();
  const p = path.join(dir, 'm.gguf');
  await writeTestModel(p, { arch: 'llama', weightType: 'F32', nEmbd: 64, nFf: 64, nLayer: 2, seed: 9 });
  const file = await readGguf(p);
  const tok = new SpmTokenizer(tokenizerVocabFromGguf(file.metadata));
  const calibration = calibrationFromTexts([{ name: 's', text: CALIBRATION_SAMPLE }], (t) => tok.encode(t, { addBos: true }), { window: 64, maxTokens: 512 });
  ctx = { modelPath: p, file, layers: ffnLayout(file).layers, calibration, seed: 1, backend, keep: 0.5, steps: 30 };
});
after(() => { backend.dispose(); fs.rmSync(dir, { recursive: true, force: true }); });

test('cubic schedule: held at 1, falls to v_f with a cubic, held at v_f', () => {
  assert.equal(cubicKeepSchedule(0, 100, 0.25), 1);
  assert.equal(cubicKeepSchedule(9, 100, 0.25), 1);
  assert.ok(Math.abs(cubicKeepSchedule(10 + 40, 100, 0.25) - (0.25 + 0.75 * 0.5 ** 3)) < 1e-12);
  assert.equal(cubicKeepSchedule(95, 100, 0.25), 0.25);
  for (let t = 1; t < 100; t++) assert.ok(cubicKeepSchedule(t, 100, 0.25) <= cubicKeepSchedule(t - 1, 100, 0.25));
});

test('movement and gum learn scores whose selection fits the calibration text better than a random one', async () => {
  const model = await loadEngineModel(ctx.modelPath, { backend });
  const loss = (kept: Int32Array[]): number => {
    const mask = kept.map((k) => { const a = new Float32Array(64); for (const i of k) a[i] = 1; return a; });
    let s = 0, n = 0;
    for (const seq of ctx.calibration!.sequences) {
      const lp = batchLogprobs(model, makeBatch([seq]), { ffnMask: mask });
      for (let i = 0; i < seq.length - 1; i++) { s -= lp[i]; n++; }
    }
    return s / n;
  };
  const select = async (method: 'random' | 'movement' | 'gum'): Promise<number> => {
    const s = await scoreNeurons(method, ctx);
    assert.ok(s.scores.every((l) => l.every(Number.isFinite)));
    return loss(allocateNeurons(s.scores, 0.5, 'uniform', [1, 1]).kept);
  };
  const random = await select('random');
  const movement = await select('movement');
  const gum = await select('gum');
  model.dispose();
  assert.ok(movement < random - 0.1, `movement ${movement} vs random ${random}`);
  assert.ok(gum < random - 0.1, `gum ${gum} vs random ${random}`);
});
