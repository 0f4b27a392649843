// Pair derivation from labelled records, the TRL round trip (import then export is the identity on valid rows,
// in both shapes), HF JSONL columns, and CSV quoting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  csvRow,
  derivePairs,
  formatPairs,
  PreferenceStore,
  preferenceStats,
  trlRowToComparison,
  validateEvent,
  type ComparisonEvent,
  type PreferenceRecord,
} from '../../../src/workspace/preferences/index.js';

function comparison(ranking: string[][], more: Partial<ComparisonEvent> = {}): ComparisonEvent {
  return PreferenceStore.stamp<ComparisonEvent>({
    kind: 'comparison',
    prompt: { text: 'def add(a, b):' },
    candidates: ['a', 'b', 'c', 'd'].map((id) => ({ id, text: `return ${id}`, model: id === 'd' ? 'pruned' : 'base' })),
    ranking,
    ...more,
  });
}

const summary = (records: PreferenceRecord[], ties: 'skip' | 'keep' = 'skip'): string[] =>
  derivePairs(records, { ties }).pairs.map((p) => `${p.chosen.candidate}${p.tie ? '=' : '>'}${p.rejected.candidate}`);

test('best vs each worse: one best of K gives K−1 pairs; unplaced candidates sit between best and worst', () => {
  assert.deepEqual(summary([comparison([['b']])]), ['b>a', 'b>c', 'b>d']);
  // best and worst: still only best-anchored pairs (no claim about the unplaced among themselves)
  assert.deepEqual(summary([comparison([['b'], ['d']])]), ['b>a', 'b>c', 'b>d']);
  // worst alone: every other candidate is better than it
  assert.deepEqual(summary([comparison([[], ['d']])]), ['a>d', 'b>d', 'c>d']);
  // a full ranking
  assert.deepEqual(summary([comparison([['c'], ['a'], ['b'], ['d']])]), ['c>a', 'c>b', 'c>d']);
  // nothing placed: nothing said
  assert.deepEqual(summary([comparison([[]])]), []);
  for (const r of [[['b']], [['b'], ['d']], [[], ['d']], [[]]]) assert.equal(validateEvent(comparison(r)), null);
});

test('ties are skipped, or kept as tie pairs; all bad gives only gold pairs; gold beats every candidate', () => {
  const tied = comparison([['a', 'c'], ['d']]);
  assert.deepEqual(summary([tied]), ['a>b', 'a>d', 'c>b', 'c>d']);
  assert.deepEqual(summary([tied], 'keep'), ['a>b', 'a>d', 'c>b', 'c>d', 'a=c']);
  const gold = comparison([['a']], { allBad: true, gold: { text: 'return a + b', fromCandidate: 'a' } });
  assert.deepEqual(summary([gold]), ['gold>a', 'gold>b', 'gold>c', 'gold>d']);
  assert.deepEqual(summary([comparison([['b']], { gold: { text: 'return a + b' } })]), ['b>a', 'b>c', 'b>d', 'gold>a', 'gold>b', 'gold>c', 'gold>d']);
  // A gold answer equal to the best candidate adds nothing new: its pairs are the best's, kept once.
  assert.deepEqual(summary([comparison([['b']], { gold: { text: 'return b' } })]), ['b>a', 'b>c', 'b>d']);
  const fb = PreferenceStore.stamp<PreferenceRecord>({ kind: 'feedback', prompt: { text: 'x' }, response: { id: 'r', text: 'y' }, reward: -1 });
  assert.deepEqual(summary([fb]), []);
});

test('pairs are deduplicated across records and identical contents are dropped', () => {
  const same = comparison([['a']], { candidates: [{ id: 'a', text: 'x' }, { id: 'b', text: 'x' }, { id: 'c', text: 'y' }] });
  const d = derivePairs([same, { ...same, id: 'again' }]);
  assert.deepEqual(d.pairs.map((p) => `${p.chosen.text}>${p.rejected.text}`), ['x>y']);
  assert.equal(d.identical, 2);
  assert.equal(d.duplicates, 1);
  // tie pairs are unordered: a=c and c=a are the same pair
  const t1 = comparison([['a', 'c']]);
  const t2 = comparison([['c', 'a']]);
  assert.equal(derivePairs([t1, t2], { ties: 'keep' }).pairs.filter((p) => p.tie).length, 1);
});

test('stats: records, pairs, ties, tie rate, per model, per day', () => {
  const s = preferenceStats([
    comparison([['a', 'c'], ['d']], { createdAt: '2026-12-01T10:00:00.000Z' }),
    comparison([['d']], { createdAt: '2026-12-02T10:00:00.000Z' }),
    PreferenceStore.stamp<PreferenceRecord>({ kind: 'feedback', prompt: { text: 'x' }, response: { id: 'r', text: 'y' }, reward: 1, createdAt: '2026-12-02T11:00:00.000Z' }),
  ]);
  assert.equal(s.records, 3);
  assert.equal(s.comparisons, 2);
  assert.equal(s.pairs, 4 + 3);
  assert.equal(s.ties, 1);
  assert.equal(s.tieRate, 0.5);
  assert.deepEqual(s.feedback, { positive: 1, negative: 0 });
  assert.deepEqual(s.perModel, { base: { candidates: 6, best: 2 }, pruned: { candidates: 2, best: 1 } });
  assert.deepEqual(s.perDay, { '2026-12-01': 1, '2026-12-02': 2 });
});

const standardRows = [
  { prompt: 'Write a haiku about rust.', chosen: 'Iron wakes to red,\nslow fire eating the old gate —\ntime keeps its own forge.', rejected: 'Rust is a language.' },
  { prompt: 'say "hi", then stop', chosen: 'hi', rejected: 'hi hi hi', id: 17, score_chosen: 8.5, tags: ['short', 'quote'] },
  { prompt: 'unicode ✓ — ünïcödé, 𝔘𝔫𝔦', chosen: '', rejected: ' leading space' },
];
const conversationalRows = [
  {
    prompt: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'What is 2+2?' }],
    chosen: [{ role: 'assistant', content: '4' }],
    rejected: [{ role: 'assistant', content: 'Let me think about that at length.' }],
  },
  {
    prompt: [{ role: 'user', content: 'Name a colour.' }],
    chosen: [{ role: 'assistant', content: 'Blue.' }, { role: 'user', content: 'Another?' }, { role: 'assistant', content: 'Green.' }],
    rejected: [{ role: 'assistant', content: 'No.' }],
    source: 'hand-written',
  },
];

for (const [name, rows] of [['standard', standardRows], ['conversational', conversationalRows]] as const) {
  test(`TRL ${name} rows: import then export is the identity`, () => {
    const records = rows.map((r) => PreferenceStore.stamp<ComparisonEvent>(trlRowToComparison(r)));
    for (const r of records) assert.equal(validateEvent(r), null);
    const out = formatPairs(derivePairs(records).pairs, { format: 'trl' });
    assert.equal(out.shape, name);
    assert.equal(out.text, rows.map((r) => JSON.stringify(r) + '\n').join(''));
  });
}

test('TRL rows that cannot be a preference are refused with a reason', () => {
  const bad: Array<[unknown, RegExp]> = [
    [[1, 2], /JSON object/],
    [{ chosen: 'a', rejected: 'b' }, /missing "prompt"/],
    [{ prompt: 'p', chosen: [{ role: 'assistant', content: 'a' }], rejected: 'b' }, /all be strings, or all be lists/],
    [{ prompt: [{ role: 'user', content: 1 }], chosen: [], rejected: [] }, /all be strings, or all be lists/],
    [{ prompt: 'p', chosen: 'same', rejected: 'same' }, /identical/],
  ];
  for (const [row, why] of bad) assert.throws(() => trlRowToComparison(row), why);
});

test('HF JSONL has the same columns on every row; chat-only prompts cannot be written as standard', () => {
  const chat = PreferenceStore.stamp<ComparisonEvent>(trlRowToComparison(conversationalRows[0]));
  const raw = comparison([['a', 'b'], ['c']], { context: { file: 'src/x.py', language: 'python' } });
  const pairs = derivePairs([raw, chat], { ties: 'keep' }).pairs;
  const hf = formatPairs(pairs, { format: 'hf' });
  assert.equal(hf.shape, 'standard');
  assert.equal(hf.unrepresentable, 1);
  const rows = hf.text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(rows.length, 5);
  for (const r of rows) assert.deepEqual(Object.keys(r), ['prompt', 'chosen', 'rejected', 'tie', 'source', 'record_id', 'chosen_model', 'rejected_model', 'language', 'file', 'created_at']);
  assert.deepEqual(rows.map((r) => r.tie), [false, false, false, false, true]);
  assert.equal(rows[0].language, 'python');
  const trl = formatPairs(pairs, { format: 'trl', shape: 'conversational' });
  assert.equal(trl.rows, 1);
  assert.equal(formatPairs(pairs, { format: 'trl' }).tiesLeftOut, 1);
});

/** RFC 4180 reader, for checking the writer. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  const endField = (): void => {
    row.push(field);
    field = '';
  };
  while (i < text.length) {
    const ch = text[i];
    if (quoted && ch === '"' && text[i + 1] === '"') {
      field += '"';
      i += 2;
    } else if (ch === '"') {
      quoted = !quoted;
      i++;
    } else if (!quoted && ch === ',') {
      endField();
      i++;
    } else if (!quoted && ch === '\r' && text[i + 1] === '\n') {
      endField();
      rows.push(row);
      row = [];
      i += 2;
    } else {
      field += ch;
      i++;
    }
  }
  assert.equal(field, '', 'the text ends with CRLF');
  return rows;
}

test('CSV quotes what needs quoting and reads back to the same fields', () => {
  const fields = ['plain', 'a,b', 'say "hi"', 'line1\nline2', 'cr\rlf\r\n', ' padded ', '', '=1+2', 'ünï ✓'];
  assert.equal(csvRow(fields), 'plain,"a,b","say ""hi""","line1\nline2","cr\rlf\r\n"," padded ",,=1+2,ünï ✓\r\n');
  assert.deepEqual(parseCsv(csvRow(fields) + csvRow(['x', null, 3, true, { a: 1 }])), [fields, ['x', '', '3', 'true', '{"a":1}']]);
  const rec = comparison([['a'], ['b']], { prompt: { text: 'def f(x, y):\n    "doc"' } });
  const csv = formatPairs(derivePairs([rec]).pairs, { format: 'csv' });
  const table = parseCsv(csv.text);
  assert.equal(csv.rows, 3);
  assert.equal(table.length, 4);
  assert.equal(table[0][0], 'prompt');
  assert.equal(table[1][0], 'def f(x, y):\n    "doc"');
  assert.equal(table[1][1], 'return a');
});
