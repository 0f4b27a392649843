// The user's rankings as DNO's oracle: comparisons recorded in a real preference store (as the Label panel records
// them) are read back as scores in 0–1 for the answers of a prompt; edited gold answers become gold candidates.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { rankingScores, storeGoldAnswers, storeRankingOracle } from '../../../src/tune/dno/index.js';
import { PreferenceStore, type ComparisonEvent } from '../../../src/workspace/preferences/index.js';

const cands = (...texts: string[]) => texts.map((text, i) => ({ id: `c${i}`, text }));

test('ranking levels become scores: first tier 1, last 0, unplaced between; all bad 0; gold 1; unranked says nothing', () => {
  const r = (x: Partial<ComparisonEvent>): ComparisonEvent => PreferenceStore.stamp<ComparisonEvent>({ kind: 'comparison', prompt: { text: 'p' }, candidates: cands('a', 'b', 'c', 'd'), ranking: [], ...x });
  assert.deepEqual([...rankingScores(r({ ranking: [['c0'], ['c3']] }))], [['a', 1], ['b', 0.5], ['c', 0.5], ['d', 0]]);
  assert.deepEqual([...rankingScores(r({ ranking: [['c1', 'c2']] }))].sort(), [['a', 0], ['b', 1], ['c', 1], ['d', 0]]);
  assert.deepEqual([...rankingScores(r({ ranking: [], allBad: true, gold: { text: 'e' } }))], [['a', 0], ['b', 0], ['c', 0], ['d', 0], ['e', 1]]);
  assert.equal(rankingScores(r({ ranking: [] })).size, 0);
});

test('storeRankingOracle reads the latest comparison covering the answers; none is a one-line error; golds by prompt', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-dno-store-'));
  try {
    const file = path.join(dir, 'preferences.jsonl');
    const store = await PreferenceStore.open(file);
    await store.addComparison({ prompt: { text: 'p' }, candidates: cands('x', 'y'), ranking: [['c1']] });
    await store.addComparison({ prompt: { text: 'p' }, candidates: cands('x', 'y'), ranking: [['c0']], gold: { text: 'z' } });
    await store.addComparison({ prompt: { messages: [{ role: 'user', content: 'q' }] }, candidates: cands('u', 'v', 'w'), ranking: [['c2'], ['c0']] });
    const oracle = storeRankingOracle(file);
    assert.deepEqual(oracle.range, { min: 0, max: 1 });
    assert.deepEqual(await oracle.score('p', ['y', 'x', 'z']), [0, 1, 1], 'the later ranking wins');
    assert.deepEqual(await oracle.score('q', ['u', 'v', 'w']), [0, 0.5, 1]);
    await assert.rejects(oracle.score('p', ['x', 'never shown']), (e: Error & { code?: string }) => e.code === 'DNO_JUDGE' && /rank them in the Label panel/.test(e.message));
    assert.deepEqual([...await storeGoldAnswers(file)], [['p', ['z']]]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
