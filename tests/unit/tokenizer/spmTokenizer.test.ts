import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpmTokenizer, TOKEN_TYPE, byteTokenText, splitIntoChunks, trainSpmVocab, type TokenizerVocab } from '../../../src/engine/tokenizer/index.js';

/** A hand-made vocabulary: specials, bytes, then pieces with the given scores. */
function vocabOf(pieces: Array<[string, number]>, addSpacePrefix = false): TokenizerVocab {
  const tokens = ['<unk>', '<s>', '</s>'];
  const scores = [0, 0, 0];
  const types: number[] = [TOKEN_TYPE.UNKNOWN, TOKEN_TYPE.CONTROL, TOKEN_TYPE.CONTROL];
  const add = (text: string, score: number, type: number): void => {
    tokens.push(text);
    scores.push(score);
    types.push(type);
  };
  for (let b = 0; b < 256; b++) add(byteTokenText(b), 0, TOKEN_TYPE.BYTE);
  for (const [p, s] of pieces) add(p, s, TOKEN_TYPE.NORMAL);
  return { tokens, scores, types, bosId: 1, eosId: 2, unkId: 0, addBos: true, addEos: false, addSpacePrefix };
}

const pieces = (tok: SpmTokenizer, text: string): string[] => tok.encode(text).map((id) => tok.vocab.tokens[id]!);

test('the highest-scored pair merges first, and merged symbols keep merging', () => {
  const tok = new SpmTokenizer(vocabOf([['a', -100], ['b', -100], ['c', -100], ['ab', -1], ['bc', -2], ['abc', -3]]));
  assert.deepEqual(pieces(tok, 'abc'), ['abc']);
  // No "ab": a BPE merge list would stop at a + bc, but llama.cpp's SPM merges any pair whose text is a token.
  const tok2 = new SpmTokenizer(vocabOf([['a', -100], ['b', -100], ['c', -100], ['bc', -2], ['abc', -3]]));
  assert.deepEqual(pieces(tok2, 'abc'), ['abc']);
});

test('equal scores merge the leftmost pair first', () => {
  const tok = new SpmTokenizer(vocabOf([['a', -100], ['aa', -1]]));
  assert.deepEqual(pieces(tok, 'aaa'), ['aa', 'a']);
});

test('characters without a token fall back to UTF-8 byte tokens', () => {
  const tok = new SpmTokenizer(vocabOf([['a', -1]]));
  assert.deepEqual(pieces(tok, 'aé'), ['a', '<0xC3>', '<0xA9>']);
  const emoji = 'x🙂y';
  assert.equal(tok.decode(tok.encode(emoji)), emoji);
});

test('spaces become ▁; add_space_prefix prepends one and decoding strips it again', () => {
  const tok = new SpmTokenizer(vocabOf([['▁', -10], ['a', -10], ['▁a', -1]]));
  assert.deepEqual(pieces(tok, 'a a'), ['a', '▁a']);
  const prefixed = new SpmTokenizer(vocabOf([['▁', -10], ['a', -10], ['▁a', -1]], true));
  assert.deepEqual(pieces(prefixed, 'a a'), ['▁a', '▁a']);
  assert.equal(prefixed.decode(prefixed.encode('a a')), 'a a');
});

test('BOS is added only when asked; empty text gives no tokens', () => {
  const tok = new SpmTokenizer(vocabOf([['a', -1]]));
  assert.deepEqual(tok.encode('', { addBos: true }), [1]);
  assert.deepEqual(tok.encode(''), []);
  assert.equal(tok.encode('a', { addBos: true })[0], 1);
  assert.equal(tok.decode([1, ...tok.encode('a')]), 'a');
});

test('a trained vocabulary has the llama layout and round-trips code', () => {
  const code = 'interface Foo {\n    readonly bar: string;\n    baz(x: number): void;\n}\n'.repeat(20);
  const vocab = trainSpmVocab([code], { vocabSize: 400, minCharCount: 1 });
  assert.ok(vocab.tokens.length <= 400);
  assert.deepEqual(vocab.tokens.slice(0, 4), ['<unk>', '<s>', '</s>', '<0x00>']);
  assert.equal(vocab.tokens[258], '<0xFF>');
  assert.deepEqual(vocab.types.slice(0, 3), [TOKEN_TYPE.UNKNOWN, TOKEN_TYPE.CONTROL, TOKEN_TYPE.CONTROL]);
  const tok = new SpmTokenizer(vocab);
  const ids = tok.encode(code);
  assert.equal(tok.decode(ids), code);
  // With budget to spare every repeated chunk (word, indentation, punctuation run) ends up one token.
  assert.equal(ids.length, splitIntoChunks(code.replaceAll(' ', '▁')).length);
  assert.ok(ids.length < code.length / 3, `${ids.length} tokens for ${code.length} chars`);
  // Indentation after a newline is one token.
  assert.ok(vocab.tokens.includes('\n▁▁▁▁'));
  // Deterministic.
  assert.deepEqual(trainSpmVocab([code], { vocabSize: 400, minCharCount: 1 }), vocab);
});

test('training stops early when no pair repeats, and refuses a size below the fixed tokens', () => {
  const vocab = trainSpmVocab(['abcd'], { vocabSize: 1000, minCharCount: 1 });
  assert.equal(vocab.tokens.length, 3 + 256 + 4);
  assert.throws(() => trainSpmVocab(['abcd'], { vocabSize: 100 }), /fixed tokens/);
});

test('training honours an aborted signal', () => {
  const ac = new AbortController();
  ac.abort();
  assert.throws(() => trainSpmVocab(['abab'], { vocabSize: 300, signal: ac.signal }), { code: 'ABORTED' });
});
