// Which neurons each layer keeps (uniform vs global, rounding to quantization blocks) and calibration windows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allocateNeurons, calibrationFromTexts } from '../../../src/engine/prune/index.js';

const ramp = (n: number, offset: number): Float32Array => Float32Array.from({ length: n }, (_, i) => offset + i);

test('uniform keeps the top (1 − sparsity) of every layer, ascending indices', () => {
  const scores = [Float32Array.of(5, 1, 4, 2, 3, 0, 7, 6), Float32Array.of(0, 1, 2, 3, 4, 5, 6, 7)];
  const a = allocateNeurons(scores, 0.5, 'uniform', [1, 1]);
  assert.deepEqual(Array.from(a.kept[0]), [0, 2, 6, 7]);
  assert.deepEqual(Array.from(a.kept[1]), [4, 5, 6, 7]);
  assert.deepEqual(a.rounded, []);
  assert.equal(allocateNeurons(scores, 0, 'uniform', [1, 1]).kept[0].length, 8, 'sparsity 0 keeps everything');
});

test('global ranks all layers together: a layer with higher scores keeps more', () => {
  const a = allocateNeurons([ramp(64, 0), ramp(64, 32)], 0.5, 'global', [1, 1]);
  assert.deepEqual(a.kept.map((k) => k.length), [16, 48]);
  assert.deepEqual(a.requested, [16, 48]);
});

test('kept counts round to the nearest multiple of the block, at least one block, and say so', () => {
  const a = allocateNeurons([ramp(256, 0), ramp(256, 300), ramp(256, 1000)], 0.6, 'global', [32, 32, 32]);
  for (const k of a.kept) assert.equal(k.length % 32, 0);
  assert.ok(a.kept[0].length >= 32, 'a layer never drops to zero');
  assert.ok(a.rounded.length > 0 && a.rounded.every((r) => r.kept % 32 === 0 && r.block === 32));
  assert.throws(() => allocateNeurons([ramp(8, 0)], 1, 'uniform', [1]), (e: Error & { code?: string }) => e.code === 'PRUNE_BAD_SPARSITY');
  assert.throws(() => allocateNeurons([ramp(8, 0)], -0.1, 'uniform', [1]), (e: Error & { code?: string }) => e.code === 'PRUNE_BAD_SPARSITY');
});

test('calibration: windows of at most `window` tokens up to the budget; the hash follows the texts', () => {
  const tokenize = (t: string): number[] => [1, ...Array.from(t, (c) => c.charCodeAt(0))];
  const texts = [{ name: 'a', text: 'x'.repeat(300) }, { name: 'b', text: 'y'.repeat(50) }];
  const c = calibrationFromTexts(texts, tokenize, { window: 128, maxTokens: 400 });
  assert.deepEqual(c.sequences.map((s) => s.length), [128, 128, 45, 51]);
  assert.ok(c.tokens <= 400 && c.sequences.every((s) => s.length <= 128 && s.length >= 2));
  assert.equal(c.sha256, calibrationFromTexts(texts, tokenize).sha256);
  assert.notEqual(c.sha256, calibrationFromTexts([texts[0]], tokenize).sha256);
  assert.throws(() => calibrationFromTexts([{ name: 'e', text: '' }], () => [1]), (e: Error & { code?: string }) => e.code === 'PRUNE_NO_CALIBRATION');
});
