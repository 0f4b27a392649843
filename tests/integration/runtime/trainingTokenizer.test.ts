// Tokens for training from llama.cpp itself where the engine's SPM tokenizer does not cover the vocabulary: a
// synthetic model with a byte-level BPE ("gpt2") vocabulary loads in llama.cpp, the engine's tokenizer refuses it
// with a message naming what it covers, and trainingTokenizer hands back llama.cpp's ids (BPE merges, BOS as the
// model adds it), which the engine then scores exactly as llama.cpp scores the text.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { readGguf } from '../../../src/engine/gguf/index.js';
import { batchLogprobs, loadEngineModel, makeBatch } from '../../../src/engine/model/index.js';
import { bpeVocab, writeTestModel } from '../../../src/engine/synth/index.js';
import { engineTokenizes, SpmTokenizer, tokenizerVocabFromGguf } from '../../../src/engine/tokenizer/index.js';
import { encodePairs } from '../../../src/engine/tune/index.js';
import { LlamaRuntime } from '../../../src/runtime/core/LlamaRuntime.js';
import { trainingTokenizer } from '../../../src/runtime/core/llamaCppTokenizer.js';

let dir = '';
let rt: LlamaRuntime;
let bpeModel = '';
let spmModel = '';

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-tok-'));
  bpeModel = path.join(dir, 'bpe.gguf');
  spmModel = path.join(dir, 'spm.gguf');
  await writeTestModel(bpeModel, { arch: 'qwen2', vocab: 'bpe', nEmbd: 64, nLayer: 2, contextLength: 256, seed: 9 });
  await writeTestModel(spmModel, { arch: 'llama', nEmbd: 64, nLayer: 1, contextLength: 256, seed: 9 });
  rt = new LlamaRuntime();
  await rt.initialize({ gpu: 'off', threads: 2 });
});
after(async () => {
  await rt?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the engine tokenizer refuses a BPE vocabulary and says which kinds it covers', async () => {
  const f = await readGguf(bpeModel);
  assert.deepEqual(f.warnings, []);
  assert.equal(engineTokenizes(f.metadata), false);
  assert.throws(() => tokenizerVocabFromGguf(f.metadata), (e: Error & { code?: string }) =>
    e.code === 'TOKENIZER_UNSUPPORTED' && /SPM/.test(e.message) && /'llama'/.test(e.message) && /'gpt2'/.test(e.message) && !e.message.includes('\n'));
});

test('a BPE model gets llama.cpp\'s tokens: merges applied, BOS as the model adds it, EOS text from the vocabulary', async () => {
  const v = bpeVocab();
  const tok = await trainingTokenizer(bpeModel);
  try {
    assert.equal(tok.source, 'llama.cpp');
    const id = (t: string): number => v.tokens.indexOf(t);
    // 'Ġ' is a space in byte-level BPE: whole words from the merges
    assert.deepEqual(tok.encode('the model data'), [id('the'), id('Ġmodel'), id('Ġdata')]);
    assert.deepEqual(tok.encode('the', { addBos: true }), [v.bosId, id('the')]);
    assert.equal(tok.addsBos, true);
    assert.equal(tok.tokenText(tok.eosId), '<|endoftext|>');
    assert.equal(tok.vocabSize, v.tokens.length);
    // any text (bytes outside the merges too) round-trips through llama.cpp
    const text = 'hello world\n\tünïcode ✓ 42';
    const ids = tok.encode(text);
    await rt.loadModel({ id: 'detok', path: bpeModel, gpuLayers: 0 });
    assert.equal(rt.detokenize({ modelId: 'detok', tokens: ids }).text, text);
    await rt.unloadModel('detok');
  } finally {
    await tok.dispose();
  }
});

test('training pairs on a BPE model: the engine scores llama.cpp\'s tokens as llama.cpp scores the text', async () => {
  const tok = await trainingTokenizer(bpeModel);
  const engine = await loadEngineModel(bpeModel);
  try {
    const { pairs } = encodePairs([{ prompt: 'the model', chosen: ' data is good', rejected: ' file' }], tok, 64);
    assert.equal(pairs.length, 1);
    const p = pairs[0]!;
    assert.deepEqual(Array.from(p.chosen), tok.encode('the model data is good', { addBos: true }));
    assert.equal(p.chosenStart, tok.encode('the model', { addBos: true }).length);
    await rt.loadModel({ id: 'score', path: bpeModel, gpuLayers: 0 });
    const theirs = await rt.logprobs({ modelId: 'score', text: 'the model data is good' });
    assert.deepEqual(theirs.tokens, Array.from(p.chosen));
    const ours = batchLogprobs(engine, makeBatch([Array.from(p.chosen)]));
    theirs.logprobs.slice(1).forEach((lp, i) => assert.ok(Math.abs(lp! - ours[i]!) < 1e-3, `token ${i + 1}: ${lp} vs ${ours[i]}`));
    await rt.unloadModel('score');
  } finally {
    engine.dispose();
    await tok.dispose();
  }
});

test('an SPM model is tokenized by the engine, without llama.cpp', async () => {
  const tok = await trainingTokenizer(spmModel);
  const spm = new SpmTokenizer(tokenizerVocabFromGguf((await readGguf(spmModel)).metadata));
  assert.equal(tok.source, 'engine');
  assert.deepEqual(tok.encode('hello world', { addBos: true }), spm.encode('hello world', { addBos: true }));
  assert.equal(tok.tokenText(tok.eosId), '</s>');
});
