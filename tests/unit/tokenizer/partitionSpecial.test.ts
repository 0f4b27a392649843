// The special-token partition: where llama.cpp cuts special-token texts out of raw text before tokenizing the rest.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { partitionSpecial, type SpecialTokenText } from '../../../src/engine/tokenizer/index.js';

const USER: SpecialTokenText = { id: 10, text: '<|user|>', rstrip: false };
const END: SpecialTokenText = { id: 11, text: '<|end|>', rstrip: false };

test('raw text between the special tokens stays as it is, whitespace included; no empty pieces', () => {
  assert.deepEqual(partitionSpecial('<|user|>\nhi <|end|>\n', [USER, END]),
    [{ id: 10 }, { text: '\nhi ' }, { id: 11 }, { text: '\n' }]);
  assert.deepEqual(partitionSpecial('<|user|><|user|>', [USER]), [{ id: 10 }, { id: 10 }]);
  assert.deepEqual(partitionSpecial('plain', [USER]), [{ text: 'plain' }]);
  assert.deepEqual(partitionSpecial('', [USER]), []);
  assert.deepEqual(partitionSpecial('<|user| almost', [USER]), [{ text: '<|user| almost' }]);
});

test('an RSTRIP token swallows every whitespace character after it (spaces, tabs, newlines, CR), not other text', () => {
  const strip = { ...USER, rstrip: true };
  assert.deepEqual(partitionSpecial('a<|user|> \t\r\n\nb <|end|>  c', [strip, END]),
    [{ text: 'a' }, { id: 10 }, { text: 'b ' }, { id: 11 }, { text: '  c' }]);
  assert.deepEqual(partitionSpecial('<|user|>\n', [strip]), [{ id: 10 }]);
  assert.deepEqual(partitionSpecial('<|user|>\n<|user|>', [strip]), [{ id: 10 }, { id: 10 }]);
});

test('longer texts are cut first, everywhere, even where a shorter one starts earlier (llama.cpp\'s order)', () => {
  const ab: SpecialTokenText = { id: 1, text: 'ab', rstrip: false };
  const bcd: SpecialTokenText = { id: 2, text: 'bcd', rstrip: false };
  // a left-to-right longest-match scan would give ab, "cd"
  assert.deepEqual(partitionSpecial('abcd ab', [ab, bcd]), [{ text: 'a' }, { id: 2 }, { text: ' ' }, { id: 1 }]);
  // length in UTF-8 bytes decides: 'é' is two bytes
  const e2: SpecialTokenText = { id: 4, text: 'éx', rstrip: false };
  const x2: SpecialTokenText = { id: 3, text: 'xy', rstrip: false };
  assert.deepEqual(partitionSpecial('éxy', [x2, e2]), [{ id: 4 }, { text: 'y' }]);
});
