// Neuron scores in the run folder: a 'prune' job writes the scores it pruned by (the neurons it kept are their top
// half), and a 'score' job ("Score model") writes them without any variant — with the similarity summary of
// each layer's top neurons for a method that runs the calibration text, without one for a weights-only method.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { allocateNeurons, NEURON_SCORES_FILE, readNeuronScores, scoreNeurons, ffnLayout } from '../../../src/engine/prune/index.js';
import { readGguf } from '../../../src/engine/gguf/index.js';
import { writeTestModel } from '../../../src/engine/synth/index.js';
import type { JobContext } from '../../../src/jobs/kinds/JobKind.js';
import { pruneJob } from '../../../src/jobs/kinds/prune.js';
import { scoreJob } from '../../../src/jobs/kinds/score.js';
import { listVariants } from '../../../src/workspace/index.js';

let dir = '';
let model = '';
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-prune-scores-'));
  model = path.join(dir, 'base.gguf');
  await writeTestModel(model, { arch: 'llama', weightType: 'F16', nEmbd: 64, nFf: 128, nLayer: 2, seed: 4 });
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const context = (runDir: string): JobContext => ({ runDir, signal: new AbortController().signal, progress: () => undefined, log: () => undefined });

test('prune job: neuron-scores.json holds the scores it pruned by, and the similarity of each layer\'s top 32', async () => {
  const data = path.join(dir, 'data1');
  const runDir = path.join(data, 'runs', 'r1');
  const r = await pruneJob.run({ model, method: 'activation', sparsity: 0.5, dataDirectory: data, backend: 'reference' }, context(runDir));
  const s = await readNeuronScores(path.join(runDir, NEURON_SCORES_FILE));
  assert.equal(s.method, 'activation');
  assert.equal(path.resolve(s.model), path.resolve(model));
  assert.deepEqual(s.scores.map((x) => x.length), [128, 128]);
  // the kept neurons are the top half by these scores: the variant's layer-0 gate rows are the source's rows they name
  const kept = allocateNeurons(s.scores, 0.5, 'uniform', [1, 1]).kept;
  assert.deepEqual(r.perLayerKept, kept.map((k) => k.length));
  assert.ok(s.similarity, 'activation runs the calibration text: a similarity summary');
  assert.equal(s.similarity.layers.length, 2);
  assert.ok(s.similarity.rows > 0);
  s.similarity.layers.forEach((l, layer) => {
    const top = Array.from(s.scores[layer], (v, i) => [v, i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]).slice(0, 32).map((x) => x[1]);
    assert.deepEqual(Array.from(l.neurons), top, `layer ${layer}: the top 32 by score, best first`);
    for (let a = 0; a < 32; a++) {
      assert.ok(Math.abs(l.cosine[a * 32 + a] - 1) < 1e-6);
      for (let b = 0; b < 32; b++) assert.ok(Math.abs(l.cosine[a * 32 + b]) <= 1 + 1e-6 && l.cosine[a * 32 + b] === l.cosine[b * 32 + a]);
    }
  });
});

test('score job: the scores alone (no variant), equal to the engine\'s; a weights-only method has no similarity', async () => {
  const data = path.join(dir, 'data2');
  const runDir = path.join(data, 'runs', 's1');
  const r = await scoreJob.run({ model, method: 'gum-oneshot', backend: 'reference' }, context(runDir));
  assert.equal(r.outputPath, path.join(runDir, NEURON_SCORES_FILE));
  assert.deepEqual([r.layers, r.similarity], [2, true]);
  const listed = await listVariants(data);
  assert.deepEqual([listed.variants, listed.pending], [[], []], 'no variant');
  const s = await readNeuronScores(r.outputPath);
  assert.equal(s.similarity?.layers[0].neurons.length, 32);

  const m = await scoreJob.run({ model, method: 'magnitude' }, context(path.join(data, 'runs', 's2')));
  const ms = await readNeuronScores(m.outputPath);
  assert.equal(ms.similarity, undefined);
  const file = await readGguf(model);
  const direct = await scoreNeurons('magnitude', { modelPath: model, file, layers: ffnLayout(file).layers, seed: 0 });
  assert.deepEqual(ms.scores, direct.scores);
});
