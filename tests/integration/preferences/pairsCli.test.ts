// `model-lab pairs import|export|stats` as a user runs them: per-line import report with the valid rows still
// imported, idempotent re-import, export that gives back the imported file, stats, usage and file errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleCli, type CliHarness } from '../cli/cliHarness.js';

let cli: CliHarness;
let dir: string;
before(async () => {
  cli = await bundleCli();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-pairs-cli-'));
});
after(() => {
  cli?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

const valid = [
  { prompt: 'def add(a, b):', chosen: '    return a + b', rejected: '    return a - b' },
  { prompt: 'Say "hi", politely.', chosen: 'Hello, and welcome!', rejected: 'hi', id: 'row-2' },
  { prompt: 'naïve ✓', chosen: 'multi\nline', rejected: 'single' },
];

test('pairs import reports bad lines by number, imports the rest, and export gives the valid rows back', async () => {
  const data = path.join(dir, 'data');
  const input = path.join(dir, 'in.jsonl');
  const lines = [
    JSON.stringify(valid[0]),
    '{"prompt": "broken"',
    JSON.stringify(valid[1]),
    JSON.stringify({ chosen: 'a', rejected: 'b' }),
    '',
    JSON.stringify(valid[2]),
    JSON.stringify(valid[0]),
  ];
  fs.writeFileSync(input, lines.join('\n') + '\n');
  const r = await cli.run(['pairs', 'import', input, '--data', data, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { imported: number; skipped: Array<{ line: number; error: string }> };
  assert.equal(out.imported, 3);
  assert.deepEqual(out.skipped.map((s) => s.line), [2, 4, 7]);
  assert.match(out.skipped[0].error, /not JSON/);
  assert.match(out.skipped[1].error, /missing "prompt"/);
  assert.match(out.skipped[2].error, /duplicate/);

  const again = JSON.parse((await cli.run(['pairs', 'import', input, '--data', data, '--json'])).stdout) as typeof out;
  assert.equal(again.imported, 0, 'importing the same file twice adds nothing');

  const trl = path.join(dir, 'out.jsonl');
  const e = await cli.run(['pairs', 'export', '--format', 'trl', '--out', trl, '--data', data]);
  assert.equal(e.code, 0, e.stderr);
  assert.match(e.stdout, /wrote 3 pair\(s\)/);
  assert.equal(fs.readFileSync(trl, 'utf8'), valid.map((v) => JSON.stringify(v) + '\n').join(''));

  const csv = path.join(dir, 'out.csv');
  assert.equal((await cli.run(['pairs', 'export', '--format', 'csv', '--out', csv, '--data', data])).code, 0);
  const csvText = fs.readFileSync(csv, 'utf8');
  assert.ok(csvText.startsWith('prompt,chosen,rejected,tie,'));
  assert.ok(csvText.includes('"Say ""hi"", politely."'));
  const hf = path.join(dir, 'out.hf.jsonl');
  assert.equal((await cli.run(['pairs', 'export', '--format', 'hf', '--out', hf, '--data', data])).code, 0);
  assert.equal(fs.readFileSync(hf, 'utf8').trim().split('\n').length, 3);

  const s = await cli.run(['pairs', 'stats', '--data', data, '--json']);
  assert.equal(s.code, 0, s.stderr);
  const stats = JSON.parse(s.stdout) as Record<string, unknown>;
  assert.equal(stats.records, 3);
  assert.equal(stats.pairs, 3);
  assert.equal(stats.ties, 0);
});

test('pairs: a torn store is repaired and reported on stderr; usage and missing files fail with one line', async () => {
  const data = path.join(dir, 'torn');
  fs.mkdirSync(data);
  fs.writeFileSync(path.join(data, 'preferences.jsonl'), '{"schema":1,"kind":"compa');
  const s = await cli.run(['pairs', 'stats', '--data', data, '--json']);
  assert.equal(s.code, 0, s.stderr);
  assert.match(s.stderr, /preferences\.jsonl:1: torn last line .* moved to .*preferences\.jsonl\.corrupt/);
  assert.equal((JSON.parse(s.stdout) as { records: number }).records, 0);
  assert.equal(fs.readFileSync(path.join(data, 'preferences.jsonl.corrupt'), 'utf8'), '{"schema":1,"kind":"compa\n');

  const bad = await cli.run(['pairs', 'export', '--format', 'xml', '--out', path.join(dir, 'x'), '--data', data]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, '');
  assert.match(bad.stderr, /^model-lab pairs: --format must be one of trl, hf, csv\n$/);
  const missing = await cli.run(['pairs', 'import', path.join(dir, 'nope.jsonl'), '--data', data]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stdout, '');
  assert.equal(missing.stderr.split('\n').length, 2);
});
