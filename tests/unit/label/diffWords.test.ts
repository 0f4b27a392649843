// The Label panel's word diff: runs rebuild both texts, changes are as small as the common words allow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffWords } from '../../../webview/label/diffWords.js';

const rebuild = (runs: ReturnType<typeof diffWords>, side: 'base' | 'other') =>
  runs.filter((r) => r.op === 'same' || r.op === (side === 'base' ? 'del' : 'add')).map((r) => r.text).join('');

test('word diff: the runs rebuild both texts and mark only what changed', () => {
  const runs = diffWords('return a - b', 'return a + b');
  assert.deepEqual(runs, [{ op: 'same', text: 'return a ' }, { op: 'del', text: '-' }, { op: 'add', text: '+' }, { op: 'same', text: ' b' }]);
  const pairs: Array<[string, string]> = [
    ['', 'x = 1'],
    ['x = 1', ''],
    ['for i in range(10):\n    total += i\n', 'for j in range(10):\n    total = total + j\n'],
    ['same text', 'same text'],
  ];
  for (const [a, b] of pairs) {
    const r = diffWords(a, b);
    assert.equal(rebuild(r, 'base'), a);
    assert.equal(rebuild(r, 'other'), b);
  }
  assert.deepEqual(diffWords('same text', 'same text'), [{ op: 'same', text: 'same text' }]);
  const long = 'w '.repeat(2000);
  assert.deepEqual(diffWords(long, 'x'), [{ op: 'del', text: long }, { op: 'add', text: 'x' }], 'long texts are not diffed');
});
