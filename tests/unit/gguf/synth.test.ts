// The generated-model building blocks: vocabulary layout and random quantized blocks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dequantize, GGML_TYPE as T } from '../../../src/engine/quant/index.js';
import { Rng } from '../../../src/engine/model/random.js';
import { randomQuantBlocks, spmVocab, TOKEN_TYPE } from '../../../src/engine/synth/index.js';

test('SPM vocabulary: specials, 256 byte tokens in order, unique pieces reachable by pairwise merges', () => {
  const v = spmVocab();
  assert.deepEqual(v.tokens.slice(0, 3), ['<unk>', '<s>', '</s>']);
  assert.deepEqual(v.types.slice(0, 3), [TOKEN_TYPE.UNKNOWN, TOKEN_TYPE.CONTROL, TOKEN_TYPE.CONTROL]);
  for (let b = 0; b < 256; b++) {
    assert.equal(v.tokens[3 + b], `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    assert.equal(v.types[3 + b], TOKEN_TYPE.BYTE);
  }
  assert.equal(new Set(v.tokens).size, v.tokens.length);
  assert.equal(v.scores.length, v.tokens.length);
  assert.equal(v.types.length, v.tokens.length);
  const set = new Set(v.tokens);
  for (let i = 259; i < v.tokens.length; i++) {
    const p = v.tokens[i];
    if (v.types[i] !== TOKEN_TYPE.NORMAL || [...p].length < 2) continue;
    assert.ok(set.has([...p].slice(0, -1).join('')), `prefix of '${p}' is a token`);
  }
  assert.ok(v.tokens.includes('\u2581the'));
  assert.ok(v.tokens.length >= 400 && v.tokens.length <= 600);
});

test('randomQuantBlocks: decoded values are centred and have the requested spread, deterministically', () => {
  for (const name of ['Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K'] as const) {
    const type = T[name];
    const n = 256 * 64;
    const a = randomQuantBlocks(type, n, 0.05, new Rng(9));
    assert.deepEqual(a, randomQuantBlocks(type, n, 0.05, new Rng(9)));
    const y = dequantize(type, a, n);
    let mean = 0;
    for (const v of y) mean += v / n;
    let sd = 0;
    for (const v of y) sd += (v - mean) ** 2 / n;
    sd = Math.sqrt(sd);
    // types without a min factor keep their half-step offset (q − 8 has mean −0.5 in Q4_0): about 0.1 std
    assert.ok(Math.abs(mean) < 0.12 * 0.05, `${name} mean ${mean}`);
    assert.ok(Math.abs(sd - 0.05) < 0.005, `${name} std ${sd}`);
  }
});
