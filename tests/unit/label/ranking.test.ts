// The Label panel's ranking tiers (webview/label/ranking.ts), shared by its keys and its drag ranking: a drag moves a
// candidate to another's place and leaves every candidate ranked; the keys' best/worst/tie drafts and a full drag
// ranking save as the same tiered `ranking` and read back into the same draft.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { moveInTiers, partsFromRanking, partsFromTiers, rankingOf, rankingTiers, withoutInMiddle } from '../../../webview/label/ranking.js';

const ids = ['a', 'b', 'c', 'd'];

test('tiers: best, the dragged middle, the unplaced in panel order, worst', () => {
  assert.deepEqual(rankingTiers({ best: [], middle: [], worst: [] }, ids), [['a'], ['b'], ['c'], ['d']]);
  assert.deepEqual(rankingTiers({ best: ['c'], middle: [], worst: ['a'] }, ids), [['c'], ['b'], ['d'], ['a']]);
  assert.deepEqual(rankingTiers({ best: ['b', 'd'], middle: [['a']], worst: ['c'] }, ids), [['b', 'd'], ['a'], ['c']]);
});

test('a drag: down lands after the target, up before it, ties among the others stay; on itself nothing changes', () => {
  const t = [['a'], ['b'], ['c'], ['d']];
  assert.deepEqual(moveInTiers(t, 'a', 'c'), [['b'], ['c'], ['a'], ['d']]);
  assert.deepEqual(moveInTiers(t, 'd', 'b'), [['a'], ['d'], ['b'], ['c']]);
  assert.deepEqual(moveInTiers(t, 'd', 'a'), [['d'], ['a'], ['b'], ['c']]);
  assert.deepEqual(moveInTiers(t, 'a', 'd'), [['b'], ['c'], ['d'], ['a']]);
  assert.deepEqual(moveInTiers(t, 'b', 'b'), t);
  // a tie best [a, b]: dragging c to the top keeps a = b, below it
  assert.deepEqual(moveInTiers([['a', 'b'], ['c'], ['d']], 'c', 'a'), [['c'], ['a', 'b'], ['d']]);
  // out of a tie, down to the bottom
  assert.deepEqual(moveInTiers([['a', 'b'], ['c'], ['d']], 'a', 'd'), [['b'], ['c'], ['d'], ['a']]);
});

test('a full drag ranking saves as one tier per candidate and reads back; the keys\' drafts save as before', () => {
  const full = partsFromTiers(moveInTiers(rankingTiers({ best: ['a'], middle: [], worst: ['d'] }, ids), 'c', 'a'));
  assert.deepEqual(full, { best: ['c'], middle: [['a'], ['b']], worst: ['d'] });
  assert.deepEqual(rankingOf(full), [['c'], ['a'], ['b'], ['d']]);
  assert.deepEqual(partsFromRanking(rankingOf(full)), full);
  // keys: best only, worst only, best and worst, a tie
  for (const parts of [{ best: ['a'], middle: [], worst: [] }, { best: [], middle: [], worst: ['b'] }, { best: ['a'], middle: [], worst: ['b', 'c'] }, { best: ['a', 'b'], middle: [], worst: [] }]) {
    assert.deepEqual(partsFromRanking(rankingOf(parts)), parts);
  }
  assert.deepEqual(rankingOf({ best: [], middle: [], worst: ['b'] }), [[], ['b']], 'worst only: an empty first tier, as the keys always saved it');
  assert.deepEqual(withoutInMiddle([['a'], ['b', 'c']], 'a'), [['b', 'c']]);
  assert.deepEqual(partsFromTiers([['x']]), { best: ['x'], middle: [], worst: [] });
});
