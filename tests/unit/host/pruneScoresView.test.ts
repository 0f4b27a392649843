// The Prune panel's score charts' data: a scores file shaped into per-layer histograms and cut points. The cut line
// at a sparsity is where the prune itself cuts: exactly the neurons allocateNeurons keeps score at or above it
// (uniform: per layer; global: one score for all layers), before rounding to quantization blocks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allocateNeurons } from '../../../src/engine/prune/index.js';
import { Rng } from '../../../src/engine/model/random.js';
import { neuronScoresView } from '../../../src/host/prune/neuronScoresView.js';
import { pruneCutScore, pruneShareBelow } from '../../../src/protocol/webviewPrune.js';

function scores(seed: number, widths: number[]): Float32Array[] {
  const rng = new Rng(seed);
  // heavy-tailed and on different scales per layer, as magnitude or activation scores are
  return widths.map((w, l) => Float32Array.from({ length: w }, () => (l + 1) * Math.exp(3 * rng.next())));
}

const meta = { jobId: 'j', source: 'prune' as const, modelName: 'm' };

test('histograms: every neuron in one bin over [min, max]; percentile cuts ascend from the minimum', () => {
  const s = scores(1, [128, 96, 200]);
  const v = neuronScoresView({ model: 'm.gguf', method: 'activation', scores: s }, meta, 20);
  v.layers.forEach((l, i) => {
    assert.equal(l.width, s[i].length);
    assert.equal(l.bins.length, 20);
    assert.equal(l.bins.reduce((a, b) => a + b, 0), l.width);
    assert.equal(l.min, Math.min(...s[i]));
    assert.equal(l.max, Math.max(...s[i]));
    assert.equal(l.quantiles.length, 101);
    assert.equal(l.quantiles[0], l.min);
    for (let p = 1; p <= 100; p++) assert.ok(l.quantiles[p] >= l.quantiles[p - 1]);
  });
  assert.equal(v.globalQuantiles.length, 1001);
  assert.equal(v.similarity, null);
  // a layer of equal scores: one bin holds them all
  const flat = neuronScoresView({ model: 'm', method: 'random', scores: [new Float32Array(64).fill(2)] }, meta, 20);
  assert.deepEqual([flat.layers[0].bins[0], flat.layers[0].min, flat.layers[0].max], [64, 2, 2]);
});

test('the cut line at each slider position keeps exactly the neurons the prune keeps (uniform and global)', () => {
  const s = scores(2, [128, 96, 200]);
  const v = neuronScoresView({ model: 'm.gguf', method: 'activation', scores: s }, meta);
  const blocks = s.map(() => 1); // no block rounding: the panel's line is drawn before it
  for (let step = 0; step <= 18; step++) {
    const sparsity = step * 0.05;
    // `requested`: the counts the ranking gives, before the writer's rounding (and its one-block minimum per layer)
    const uniform = allocateNeurons(s, sparsity, 'uniform', blocks).requested;
    s.forEach((layer, l) => {
      const cut = pruneCutScore(v, l, sparsity, 'uniform');
      assert.equal(layer.filter((x) => x >= cut).length, uniform[l], `uniform ${sparsity.toFixed(2)}, layer ${l}`);
      assert.ok(Math.abs(pruneShareBelow(v.layers[l], cut) - (1 - uniform[l] / layer.length)) <= 0.011);
    });
    const global = allocateNeurons(s, sparsity, 'global', blocks).requested;
    const cut = pruneCutScore(v, 0, sparsity, 'global');
    s.forEach((layer, l) => assert.equal(layer.filter((x) => x >= cut).length, global[l], `global ${sparsity.toFixed(2)}, layer ${l}`));
  }
});

test('similarity matrices pass through as plain arrays, one per layer', () => {
  const v = neuronScoresView({
    model: 'm', method: 'flap', scores: scores(3, [64, 64]),
    similarity: { rows: 64, layers: [0, 1].map(() => ({ neurons: Int32Array.from([5, 1]), cosine: Float32Array.from([1, -0.5, -0.5, 1]) })) },
  }, meta);
  assert.deepEqual(v.similarity, { rows: 64, layers: [0, 1].map((layer) => ({ layer, neurons: [5, 1], cosine: [1, -0.5, -0.5, 1] })) });
});
