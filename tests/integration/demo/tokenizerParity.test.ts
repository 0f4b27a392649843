// Our SPM tokenizer must give llama.cpp's token ids exactly: the engine trains on our ids, llama.cpp reads the text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SpmTokenizer, trainSpmVocab } from '../../../src/engine/tokenizer/index.js';
import { loadDemoCorpus } from '../../../src/engine/train/demo/demoCorpus.js';
import { writeVocabModel } from './writeVocabModel.js';

const typescriptDir = path.resolve('node_modules/typescript');

test('llama.cpp tokenizes the corpus exactly as our SPM tokenizer, without tokenizer warnings', async () => {
  const corpus = loadDemoCorpus(typescriptDir);
  // A vocabulary learned from part of the training split keeps the test quick; held-out text is unseen.
  const sample = corpus.train.filter((f) => f.name !== 'lib.dom.d.ts');
  const vocab = trainSpmVocab(sample.map((f) => f.text), { vocabSize: 1024 });
  const tok = new SpmTokenizer(vocab);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  const modelPath = path.join(dir, 'vocab.gguf');
  await writeVocabModel(modelPath, vocab);

  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  const logs: string[] = [];
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.warn, logger: (level, message) => logs.push(`${level}: ${message}`) });
  const model = await llama.loadModel({ modelPath });
  try {
    assert.deepEqual(logs.filter((l) => /^(warn|error)/.test(l)), []);
    assert.deepEqual(model.getWarnings(), []);
    const texts = [
      ...corpus.heldOut.map((f) => f.text),
      ...sample.slice(0, 12).map((f) => f.text),
      'const x = { a: 1, "b": [2, 3] };\n\tif (x) { return `é ${x}`; } // ünïcödé 🙂\n\n\n',
      '   leading spaces and trailing   ',
      '',
    ];
    for (const text of texts) {
      const theirs = Array.from(model.tokenize(text));
      const ours = tok.encode(text);
      assert.deepEqual(ours, theirs, `tokens differ for ${JSON.stringify(text.slice(0, 60))}`);
      assert.equal(model.detokenize(theirs), text);
      assert.equal(tok.decode(ours), text);
    }
  } finally {
    await model.dispose();
    await llama.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
