// deci (llama.cpp's DeciLM / Nemotron-NAS architecture) end to end: files with a different FFN width per layer load
// in llama.cpp, and the engine's log-probs equal llama.cpp's within the bounds of llamaParity.test.ts. A layer of
// width 0 passes its input through unchanged in llama.cpp, attention included (docs/dev/FORMATS.md): the engine
// does the same, so the F32 bound holds with such a layer too. A llama model rewritten as deci with equal widths
// (what pruning with a global allocation writes before it narrows layers) gives llama.cpp's log-probs unchanged.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { archKey, GENERAL } from '../../../src/engine/gguf/metadataKeys.js';
import { GGUF_VALUE_TYPE as T, metadataEntries, readGguf, tensorDataStream, writeGguf, type GgufMetadataEntry } from '../../../src/engine/gguf/index.js';
import { createWasmBackend, type KernelBackend } from '../../../src/engine/kernels/index.js';
import { batchLogprobs, createRandomModel, loadEngineModel, makeBatch, saveModelGguf } from '../../../src/engine/model/index.js';
import { spmVocab, writeTestModel, type TestWeightType } from '../../../src/engine/synth/index.js';
import { tokenizerGgufMetadata } from '../../../src/engine/tokenizer/index.js';
import { EXACT_SCORING_CONTEXT, scoreTokens } from '../../../src/runtime/core/scoreTokens.js';

const CTX = { contextSize: 512, threads: 2, ...EXACT_SCORING_CONTEXT };
const LENGTHS = [2, 17, 300];

let dir = '';
let llama: any;
let backend: KernelBackend;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-deci-'));
  const { getLlama } = await import('node-llama-cpp');
  llama = await getLlama({ gpu: false, build: 'never' });
  backend = await createWasmBackend({ threads: 2 });
});
after(async () => {
  backend?.dispose();
  await llama?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

function prompt(n: number, vocab: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return 3 + (s % (vocab - 3)); });
}

/** llama.cpp's per-token log-probs (full precision) for each prompt of LENGTHS. */
async function llamaCppLogprobs(file: string, vocab: number): Promise<number[][]> {
  const model = await llama.loadModel({ modelPath: file });
  const ctx = await model.createContext(CTX);
  try {
    const seq = ctx.getSequence();
    const out: number[][] = [];
    for (const n of LENGTHS) out.push((await scoreTokens(seq, prompt(n, vocab, n * 7 + 1), { window: 512 })).logprobs.slice(1) as number[]);
    return out;
  } finally {
    await ctx.dispose();
    await model.dispose();
  }
}

async function engineLogprobs(file: string): Promise<{ logprobs: number[][]; widths: readonly number[] }> {
  const engine = await loadEngineModel(file, { backend });
  try {
    const logprobs = LENGTHS.map((n) => Array.from(batchLogprobs(engine, makeBatch([prompt(n, engine.spec.nVocab, n * 7 + 1)])).subarray(0, n - 1)));
    return { logprobs, widths: engine.ffnWidths };
  } finally {
    engine.dispose();
  }
}

function diffs(ours: number[][], theirs: number[][]): { worst: number; meanAbs: number; meanSigned: number } {
  const d: number[] = [];
  let signed = 0;
  ours.forEach((o, k) => {
    assert.equal(o.length, theirs[k].length);
    o.forEach((v, i) => { d.push(Math.abs(v - theirs[k][i])); signed += v - theirs[k][i]; });
  });
  return { worst: Math.max(...d), meanAbs: d.reduce((a, b) => a + b, 0) / d.length, meanSigned: signed / d.length };
}

const CASES: Array<{ type: TestWeightType; widths: number[] }> = [
  { type: 'F32', widths: [128, 64, 0, 96] },
  { type: 'Q8_0', widths: [96, 32, 160] },
];

for (const { type, widths } of CASES) {
  test(`deci ${type}, FFN widths ${widths.join('/')}: llama.cpp loads it and the engine's log-probs match llama.cpp's`, async () => {
    const file = path.join(dir, `deci-${type}.gguf`);
    const info = await writeTestModel(file, { arch: 'deci', weightType: type, nEmbd: 64, nFf: widths, nHead: 4, nHeadKv: 2, contextLength: 512, seed: 13 });
    const header = await readGguf(file);
    assert.deepEqual(header.metadata[archKey('deci', 'feedForwardLength')], widths);
    assert.equal(header.tensors.some((t) => t.name === 'blk.2.ffn_norm.weight'), widths[2] > 0);
    const theirs = await llamaCppLogprobs(file, info.nVocab);
    const ours = await engineLogprobs(file);
    assert.deepEqual(ours.widths, widths);
    const { worst, meanAbs, meanSigned } = diffs(ours.logprobs, theirs);
    console.log(`# deci ${type}: |Δ log p| max ${worst.toExponential(2)}, mean ${meanAbs.toExponential(2)}; mean signed Δ ${meanSigned.toExponential(2)}`);
    if (type === 'F32') assert.ok(worst <= 1e-3, `max |Δ log p| ${worst}`);
    else {
      // the quantized bounds of llamaParity.test.ts
      assert.ok(Math.abs(meanSigned) <= 2e-2, `mean Δ log p ${meanSigned}`);
      assert.ok(meanAbs <= 4e-2, `mean |Δ log p| ${meanAbs}`);
      assert.ok(worst <= 0.25, `max |Δ log p| ${worst}`);
    }
  });
}

test('a llama model rewritten as deci with equal FFN widths gives llama.cpp the same log-probs', async () => {
  const llamaFile = path.join(dir, 'llama.gguf');
  const deciFile = path.join(dir, 'llama-as-deci.gguf');
  const info = await writeTestModel(llamaFile, { arch: 'llama', weightType: 'F16', nEmbd: 64, nFf: 128, nLayer: 3, nHead: 4, nHeadKv: 2, contextLength: 512, seed: 17 });
  const src = await readGguf(llamaFile);
  // same tensors, same keys under deci., feed_forward_length as a per-layer array
  const metadata: GgufMetadataEntry[] = metadataEntries(src).map((e) => {
    if (e.key === GENERAL.architecture) return { ...e, value: 'deci' };
    if (e.key === archKey('llama', 'feedForwardLength')) {
      return { key: archKey('deci', 'feedForwardLength'), type: T.ARRAY, elementType: T.INT32, value: new Array<number>(info.nLayer).fill(128) };
    }
    return e.key.startsWith('llama.') ? { ...e, key: `deci.${e.key.slice('llama.'.length)}` } : e;
  });
  await writeGguf(deciFile, { metadata, tensors: src.tensors.map((t) => ({ name: t.name, type: t.type, shape: [...t.shape], data: () => tensorDataStream(src, t) })) });
  const deci = await readGguf(deciFile);
  assert.deepEqual(deci.warnings, []);
  assert.equal(deci.metadata[GENERAL.architecture], 'deci');

  const fromLlama = await llamaCppLogprobs(llamaFile, info.nVocab);
  const fromDeci = await llamaCppLogprobs(deciFile, info.nVocab);
  const { worst } = diffs(fromDeci, fromLlama);
  assert.equal(worst, 0, 'llama.cpp builds the same graph for both files');
  // and the engine reads the deci file as the same model
  const ours = await engineLogprobs(deciFile);
  assert.deepEqual(ours.widths, [128, 128, 128]);
  assert.ok(diffs(ours.logprobs, fromDeci).meanAbs <= 1e-3);
});

test('a deci model built by the engine (widths 48/0/32) saves as GGUF with per-layer widths and scores the same in llama.cpp', async () => {
  const v = spmVocab();
  const model = createRandomModel({ architecture: 'deci', nVocab: v.tokens.length, nEmbd: 32, nLayer: 3, nHead: 4, nHeadKv: 2,
    nFf: [48, 0, 32], contextLength: 512, initStd: 0.2, seed: 4 });
  const file = path.join(dir, 'engine-deci.gguf');
  const vocab = { tokens: v.tokens, scores: v.scores, types: v.types, bosId: 1, eosId: 2, unkId: 0, addBos: true, addEos: false, addSpacePrefix: true };
  await saveModelGguf(model, file, { metadata: tokenizerGgufMetadata(vocab) });
  const header = await readGguf(file);
  assert.deepEqual(header.metadata[archKey('deci', 'feedForwardLength')], [48, 0, 32]);
  assert.ok(!header.tensors.some((t) => t.name.startsWith('blk.1.ffn_')));
  const theirs = await llamaCppLogprobs(file, v.tokens.length);
  const ours = LENGTHS.map((n) => Array.from(batchLogprobs(model, makeBatch([prompt(n, v.tokens.length, n * 7 + 1)])).subarray(0, n - 1)));
  model.dispose();
  assert.ok(diffs(ours, theirs).worst <= 1e-3);
});
