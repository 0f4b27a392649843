import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GgufWriter, memorySink } from '../../../src/engine/gguf/GgufWriter.js';
import { parseGgufHeader } from '../../../src/engine/gguf/parseGgufHeader.js';
import { GGUF_VALUE_TYPE } from '../../../src/engine/gguf/types.js';
import { SpmTokenizer, tokenizerGgufMetadata, tokenizerVocabFromGguf, trainSpmVocab } from '../../../src/engine/tokenizer/index.js';

test('tokenizer metadata survives a GGUF write and read', async () => {
  const text = 'export declare function f(a: string): number;\n'.repeat(10);
  const vocab = trainSpmVocab([text], { vocabSize: 300, minCharCount: 1 });
  const sink = memorySink();
  const w = new GgufWriter(sink);
  w.addMetadata('general.architecture', GGUF_VALUE_TYPE.STRING, 'llama');
  for (const e of tokenizerGgufMetadata(vocab)) w.addMetadata(e.key, e.type, e.value, e.elementType);
  await w.writeHeader();
  await w.close();
  const file = parseGgufHeader(sink.bytes());
  assert.equal(file.metadataTypes['tokenizer.ggml.scores']!.elementType, GGUF_VALUE_TYPE.FLOAT32);
  assert.equal(file.metadataTypes['tokenizer.ggml.token_type']!.elementType, GGUF_VALUE_TYPE.INT32);
  const back = tokenizerVocabFromGguf(file.metadata);
  assert.deepEqual(back, vocab);
  assert.deepEqual(new SpmTokenizer(back).encode(text), new SpmTokenizer(vocab).encode(text));
});

test('a non-SPM tokenizer is refused with a clear error', () => {
  assert.throws(() => tokenizerVocabFromGguf({ 'tokenizer.ggml.model': 'gpt2', 'tokenizer.ggml.tokens': ['a'] }), { code: 'TOKENIZER_UNSUPPORTED' });
});
