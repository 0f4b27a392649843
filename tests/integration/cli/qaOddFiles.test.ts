// Text files as users' editors save them: UTF-8 with a byte-order mark and CRLF line ends (Windows), another
// encoding (Latin-1), or not there at all. Each command that reads one either reads it as the text it is or says in
// one line which file is wrong and what to do, exit 1, nothing written.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readPrompts } from '../../../src/evaluate/readPrompts.js';
import { tempDir, testModel } from '../runtime/fixtures.js';
import { bundleCli, type CliHarness, type CliRun } from './cliHarness.js';

const BOM = '\ufeff';

function assertOneLineError(r: CliRun, pattern: RegExp): void {
  assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^model-lab \w+: [^\n]+\n$/);
  assert.match(r.stderr, pattern);
}

describe('CLI on odd text files', () => {
  let harness: CliHarness;
  let dir: string;
  let model: string;
  let latin1: string;

  before(async () => {
    harness = await bundleCli();
    dir = tempDir();
    model = await testModel(dir, 'llama.gguf');
    latin1 = path.join(dir, 'calib.txt');
    fs.writeFileSync(latin1, Buffer.from('interface Point {\n  caf\xe9: number;\n}\n', 'latin1'));
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    harness.dispose();
  });

  test('pairs import reads a JSONL saved with a BOM and CRLF line ends: every row, none skipped', async () => {
    const file = path.join(dir, 'bom.jsonl');
    fs.writeFileSync(file, `${BOM}{"prompt":"a","chosen":" b","rejected":" c"}\r\n\r\n{"prompt":"d","chosen":" e","rejected":" f"}\r\n`);
    const r = await harness.run(['pairs', 'import', file, '--data', path.join(dir, 'data'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { imported: 2, skipped: [] });
  });

  test('prompts with a BOM, CRLF and blank lines: the prompts as written, in text and JSONL files', async () => {
    const txt = path.join(dir, 'prompts.txt');
    fs.writeFileSync(txt, `${BOM}What is 1+1?\r\n\r\n   \r\nWrite hello\r\n`);
    assert.deepEqual(await readPrompts(txt), ['What is 1+1?', 'Write hello']);
    const jsonl = path.join(dir, 'prompts.jsonl');
    fs.writeFileSync(jsonl, `${BOM}{"prompt":"What is 1+1?"}\r\n\r\n{"prompt":"hi"}\r\n`);
    assert.deepEqual(await readPrompts(jsonl), ['What is 1+1?', 'hi']);
  });

  test('a Latin-1 calibration file is refused by name and line, and prune leaves no output behind', async () => {
    const out = path.join(dir, 'pruned.gguf');
    const r = await harness.run(['prune', model, '--method', 'activation', '--sparsity', '0.3', '--calib', latin1, '--out', out]);
    assertOneLineError(r, /calib\.txt is not UTF-8 text \(line 2 is not\): save it as UTF-8/);
    assert.equal(fs.existsSync(out), false);
  });

  test('ppl on a Latin-1 file and on a missing file: one line each', async () => {
    assertOneLineError(await harness.run(['ppl', model, '--file', latin1]), /calib\.txt is not UTF-8 text/);
    assertOneLineError(await harness.run(['ppl', model, '--file', path.join(dir, 'nope.txt')]), /cannot read .*nope\.txt: no such file$/m);
  });

  test('pairs export --out into a missing folder makes it, as --out does everywhere; a folder as --out is a usage error', async () => {
    const data = path.join(dir, 'data-export');
    const src = path.join(dir, 'two.jsonl');
    fs.writeFileSync(src, '{"prompt":"a","chosen":" b","rejected":" c"}\n{"prompt":"d","chosen":" e","rejected":" f"}\n');
    assert.equal((await harness.run(['pairs', 'import', src, '--data', data])).code, 0);
    const out = path.join(dir, 'new folder', 'deeper', 'pairs.jsonl');
    const r = await harness.run(['pairs', 'export', '--format', 'trl', '--out', out, '--data', data]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.readFileSync(out, 'utf8').trim().split('\n').length, 2);
    const asFolder = await harness.run(['pairs', 'export', '--format', 'csv', '--out', dir, '--data', data]);
    assert.equal(asFolder.code, 2, asFolder.stderr);
    assert.match(asFolder.stderr, /^model-lab pairs: --out .* is a folder; give a file name\n$/);
  });

  test('a malformed GGUF among several files is named: the model given to prune, the adapter given to merge', async () => {
    const text = path.join(dir, 'notes.gguf');
    fs.writeFileSync(text, 'these are notes, not a model\n');
    assertOneLineError(await harness.run(['prune', text, '--method', 'magnitude', '--sparsity', '0.3', '--out', path.join(dir, 'p.gguf')]),
      /notes\.gguf: not a GGUF file \(bad magic number\)$/m);
    const merged = path.join(dir, 'merged.gguf');
    assertOneLineError(await harness.run(['adapter', 'merge', model, text, '--out', merged]), /notes\.gguf: not a GGUF file/);
    assert.equal(fs.existsSync(merged), false);
  });

  test('pairs import of a missing file: one line that names it', async () => {
    assertOneLineError(await harness.run(['pairs', 'import', path.join(dir, 'nope.jsonl'), '--data', path.join(dir, 'data')]), /nope\.jsonl'?: no such file$/m);
  });
});
