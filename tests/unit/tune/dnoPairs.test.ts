// DNO's pair rules (positive must score high; negative a margin below, wider for a gold positive; ties skipped;
// own samples preferred on equal scores) and the decaying replay of earlier iterations' pairs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dnoPairFor, dnoPairRules, dnoPairs, replayPairs, type DnoCandidate, type DnoPair } from '../../../src/tune/dno/index.js';

const s = (text: string, score: number): DnoCandidate => ({ text, source: 'sample', score });
const g = (text: string, score: number): DnoCandidate => ({ text, source: 'gold', score });

test('defaults scale the paper\'s 6-point rules to the oracle\'s range; --margin sets the own-sample margin, twice it for gold', () => {
  assert.deepEqual(dnoPairRules({ min: 1, max: 6 }), { minPositive: 5, marginGold: 2, marginSample: 1 });
  const unit = dnoPairRules({ min: 0, max: 1 });
  assert.ok(Math.abs(unit.minPositive - 0.8) < 1e-12 && Math.abs(unit.marginGold - 0.4) < 1e-12 && Math.abs(unit.marginSample - 0.2) < 1e-12);
  assert.deepEqual(dnoPairRules({ min: 1, max: 6 }, 0.5), { minPositive: 5, marginGold: 1, marginSample: 0.5 });
});

test('the best candidate against the worst, when the best scores high and the gap is wide enough', () => {
  const rules = dnoPairRules({ min: 1, max: 6 });
  assert.deepEqual(dnoPairFor('p', [s('a', 3), s('b', 6), s('c', 2)], rules, 1),
    { pair: { prompt: 'p', chosen: 'b', rejected: 'c', iteration: 1, chosenScore: 6, rejectedScore: 2, chosenSource: 'sample' } });
  // the positive must score high (≥ 5 of 6)
  assert.deepEqual(dnoPairFor('p', [s('a', 4.9), s('b', 1)], rules, 1), { skipped: 'low' });
  // own sample positive: 1 point is enough; gold positive needs 2
  assert.ok('pair' in dnoPairFor('p', [s('a', 5), s('b', 4)], rules, 1));
  assert.deepEqual(dnoPairFor('p', [g('gold', 5.5), s('b', 4)], rules, 1), { skipped: 'margin' });
  assert.equal((dnoPairFor('p', [g('gold', 6), s('b', 4)], rules, 1) as { pair: DnoPair }).pair.chosenSource, 'gold');
  // all equal: a tie, no pair
  assert.deepEqual(dnoPairFor('p', [s('a', 6), s('b', 6), g('c', 6)], rules, 1), { skipped: 'tie' });
  assert.deepEqual(dnoPairFor('p', [s('a', 6)], rules, 1), { skipped: 'tie' });
});

test('on equal top scores the model\'s own sample is the positive (on-policy), and the earlier one among samples', () => {
  const rules = dnoPairRules({ min: 0, max: 1 });
  const r = dnoPairFor('p', [g('gold', 1), s('x', 0), s('own', 1), s('own2', 1)], rules, 2) as { pair: DnoPair };
  assert.equal(r.pair.chosen, 'own');
  assert.equal(r.pair.rejected, 'x');
  assert.equal(r.pair.chosenSource, 'sample');
});

test('dnoPairs counts the skipped prompts by reason', () => {
  const rules = dnoPairRules({ min: 0, max: 1 });
  const r = dnoPairs([
    { prompt: 'a', candidates: [s('1', 1), s('2', 0)] },
    { prompt: 'b', candidates: [s('1', 0), s('2', 0)] },
    { prompt: 'c', candidates: [s('1', 0.5), s('2', 0)] },
    { prompt: 'd', candidates: [s('1', 0.9), s('2', 0.8)] },
  ], rules, 1);
  assert.deepEqual(r.pairs.map((p) => p.prompt), ['a']);
  assert.deepEqual(r.skipped, { low: 1, tie: 1, margin: 1 });
});

test('replay: 30 % as many pairs as the new ones from t−1, 15 % from t−2, halving; seeded, without repeats', () => {
  const pool = (t: number, n: number): DnoPair[] => Array.from({ length: n }, (_, i) => ({ prompt: `${t}-${i}`, chosen: 'c', rejected: 'r', iteration: t }));
  const earlier = [pool(3, 50), pool(2, 50), pool(1, 50), pool(0, 50)];
  const r = replayPairs(earlier, 40, 7, 4);
  const from = (t: number): DnoPair[] => r.filter((p) => p.iteration === t);
  assert.deepEqual([from(3).length, from(2).length, from(1).length, from(0).length], [12, 6, 3, 2]);
  assert.equal(new Set(r.map((p) => p.prompt)).size, r.length);
  assert.deepEqual(replayPairs(earlier, 40, 7, 4), r, 'the same seed gives the same draw');
  assert.notDeepEqual(replayPairs(earlier, 40, 8, 4), r, 'another seed, another draw');
  // a small pool gives what it has; no earlier pairs, none
  assert.equal(replayPairs([pool(1, 2)], 40, 1, 2).length, 2);
  assert.deepEqual(replayPairs([], 40, 1, 1), []);
  assert.equal(replayPairs(earlier, 0, 1, 4).length, 0);
});
