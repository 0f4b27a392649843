// The whole prune job on generated models, checked in llama.cpp: sparsity 0 reproduces the source's outputs (every
// tensor copied as stored); FLAP's bias compensation is loaded by llama.cpp for llama and for deci (pruned with the
// bias = zeroed with the same bias, and the bias changes the outputs); a phi3 model reports that it gets no bias;
// provenance keys name the method, the settings, the calibration and the parent.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { readGguf, readTensorBytes } from '../../../src/engine/gguf/index.js';
import { MODEL_LAB } from '../../../src/engine/gguf/metadataKeys.js';
import { createReferenceBackend, type KernelBackend } from '../../../src/engine/kernels/index.js';
import {
  CALIBRATION_SAMPLE, calibrationFromTexts, ffnLayout, pruneModel, scoreNeurons, allocateNeurons, writePrunedGguf,
  type CalibrationSet,
} from '../../../src/engine/prune/index.js';
import { writeTestModel, type TestModelArch, type TestWeightType } from '../../../src/engine/synth/index.js';
import { SpmTokenizer, tokenizerVocabFromGguf } from '../../../src/engine/tokenizer/index.js';
import { disposeLlamaCpp, llamaLogprobs, maxAbsDiff, meanAbsDiff, promptTokens } from './llamaCppScoring.js';

let dir = '';
let backend: KernelBackend;
before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-prune-')); backend = createReferenceBackend(); });
after(async () => { backend.dispose(); await disposeLlamaCpp(); fs.rmSync(dir, { recursive: true, force: true }); });

async function model(arch: TestModelArch, type: TestWeightType): Promise<{ file: string; cal: CalibrationSet }> {
  const file = path.join(dir, `${arch}-${type}.gguf`);
  const k = type.endsWith('_K');
  if (!fs.existsSync(file)) await writeTestModel(file, { arch, weightType: type, nEmbd: k ? 256 : 64, nFf: k ? 512 : 128, nLayer: 3, nHead: 4, nHeadKv: 2, contextLength: 256, seed: 13 });
  const g = await readGguf(file);
  const tok = new SpmTokenizer(tokenizerVocabFromGguf(g.metadata));
  return { file, cal: calibrationFromTexts([{ name: 'sample', text: CALIBRATION_SAMPLE }], (t) => tok.encode(t, { addBos: true }), { maxTokens: 256 }) };
}

for (const [arch, type] of [['llama', 'Q4_K'], ['phi3', 'F16'], ['phi3', 'Q8_0']] as const) {
  test(`${arch} ${type}: sparsity 0 (global) reproduces the source's outputs exactly; every tensor is copied as stored`, async () => {
    const m = await model(arch, type);
    const out = path.join(dir, `${arch}-${type}-s0.gguf`);
    const r = await pruneModel({ modelPath: m.file, out, method: 'magnitude', sparsity: 0, allocation: 'global' });
    assert.equal(r.arch, arch);
    assert.deepEqual(r.perLayerKept, [r.nFfBefore, r.nFfBefore, r.nFfBefore]);
    const a = await readGguf(m.file), b = await readGguf(out);
    for (const t of a.tensors) assert.ok(Buffer.from(await readTensorBytes(b, t.name)).equals(await readTensorBytes(a, t)), t.name);
    const tokens = promptTokens(40, 200, 3);
    assert.deepEqual(await llamaLogprobs(out, tokens), await llamaLogprobs(m.file, tokens));
  });
}

for (const [arch, allocation] of [['llama', 'uniform'], ['llama', 'global'], ['phi3', 'global']] as const) {
  test(`${arch} F32 FLAP ${allocation}: bias compensation where the written architecture loads an FFN down bias`, async () => {
    const m = await model(arch, 'F32');
    const out = path.join(dir, `${arch}-flap-${allocation}.gguf`);
    const r = await pruneModel({ modelPath: m.file, out, method: 'flap', sparsity: 0.5, allocation, calibration: m.cal, seed: 4, backend, parentSha256: 'ab'.repeat(32) });
    const g = await readGguf(out);
    // global: deci exactly when the layers keep different counts
    const unequal = new Set(r.perLayerKept).size > 1;
    assert.equal(r.arch, unequal ? 'deci' : arch);
    if (allocation === 'uniform') assert.ok(!unequal);
    assert.equal(r.biasCompensation, true);
    assert.ok(g.tensors.some((t) => t.name === 'blk.0.ffn_down.bias'));
    assert.ok(r.notes.some((n) => n.includes('bias compensation')));
    const params = JSON.parse(g.metadata[MODEL_LAB.parameters] as string);
    assert.deepEqual(params, { method: 'flap', sparsity: 0.5, allocation, seed: 4, calibrationSha256: m.cal.sha256 });
    assert.equal(g.metadata[MODEL_LAB.parentSha256], 'ab'.repeat(32));

    // the same selection zeroed in the source, with the same bias: llama.cpp computes the same
    const file = await readGguf(m.file);
    const layers = ffnLayout(file).layers;
    const s = await scoreNeurons('flap', { modelPath: m.file, file, layers, calibration: m.cal, seed: 4, backend });
    const kept = allocateNeurons(s.scores, 0.5, allocation, layers.map(() => 1)).kept;
    assert.deepEqual(kept.map((k) => k.length), r.perLayerKept);
    const zeroed = path.join(dir, `${arch}-flap-${allocation}-zeroed.gguf`);
    const noBias = path.join(dir, `${arch}-flap-${allocation}-nobias.gguf`);
    await writePrunedGguf(m.file, zeroed, { kept, architecture: 'same', zeroInstead: true, meanActivation: s.meanActivation });
    await writePrunedGguf(m.file, noBias, { kept, architecture: unequal ? 'deci' : 'same' });
    const tokens = promptTokens(40, 200, 9);
    const [p, z, n] = [await llamaLogprobs(out, tokens), await llamaLogprobs(zeroed, tokens), await llamaLogprobs(noBias, tokens)];
    if (arch === 'llama') {
      assert.ok(maxAbsDiff(p, z) <= 1e-4, `pruned vs zeroed with bias: ${maxAbsDiff(p, z)}`);
    }
    assert.ok(meanAbsDiff(p, n) > 1e-3, `the bias changes the outputs (${meanAbsDiff(p, n)})`);
  });
}

test('deci loads ffn_down.bias: unequal widths with the FLAP bias compute what the zeroed llama source with that bias computes', async () => {
  const m = await model('llama', 'F32');
  const file = await readGguf(m.file);
  const layers = ffnLayout(file).layers;
  const s = await scoreNeurons('flap', { modelPath: m.file, file, layers, calibration: m.cal, seed: 0, backend });
  const kept = [Int32Array.from({ length: 40 }, (_, i) => 3 * i), Int32Array.from({ length: 100 }, (_, i) => i + 20), Int32Array.from({ length: 64 }, (_, i) => 2 * i)];
  const pruned = path.join(dir, 'deci-bias.gguf'), zeroed = path.join(dir, 'deci-bias-zeroed.gguf');
  const w = await writePrunedGguf(m.file, pruned, { kept, architecture: 'deci', meanActivation: s.meanActivation });
  assert.equal(w.architecture, 'deci');
  assert.equal(w.biasCompensation, true);
  await writePrunedGguf(m.file, zeroed, { kept, architecture: 'same', zeroInstead: true, meanActivation: s.meanActivation });
  const tokens = promptTokens(40, 200, 5);
  const d = maxAbsDiff(await llamaLogprobs(pruned, tokens), await llamaLogprobs(zeroed, tokens));
  assert.ok(d <= 1e-4, `max |Δ| ${d}`);
});

test('phi3 F32 FLAP uniform: no FFN down bias in phi3, and the notes say so', async () => {
  const m = await model('phi3', 'F32');
  const r = await pruneModel({ modelPath: m.file, out: path.join(dir, 'phi3-flap-uniform.gguf'), method: 'flap', sparsity: 0.25, calibration: m.cal, backend });
  assert.equal(r.biasCompensation, false);
  assert.ok(r.notes.some((n) => /no FLAP bias compensation: llama.cpp's phi3 graph loads no FFN down bias/.test(n)), r.notes.join(' | '));
  assert.ok(!(await readGguf(r.out)).tensors.some((t) => t.name.endsWith('ffn_down.bias')));
});

test('qwen2 global: pruned uniformly, and the notes say so plainly', async () => {
  const file = path.join(dir, 'qwen2.gguf');
  await writeTestModel(file, { arch: 'qwen2', nEmbd: 64, nFf: 128, nLayer: 2, seed: 2 });
  const r = await pruneModel({ modelPath: file, out: path.join(dir, 'qwen2-p.gguf'), method: 'random', sparsity: 0.5, allocation: 'global', seed: 1 });
  assert.equal(r.allocation, 'uniform');
  assert.equal(r.arch, 'qwen2');
  assert.deepEqual(r.perLayerKept, [64, 64]);
  assert.ok(r.notes.some((n) => n.startsWith('qwen2 prunes uniformly')));
  const tokens = promptTokens(20, 200, 1);
  assert.equal((await llamaLogprobs(r.out, tokens)).length, 19, 'llama.cpp runs it');
});
