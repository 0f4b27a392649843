// What a user sees when a file is odd or a run has nothing to work with: the file read as the text it is (a BOM
// from a Windows editor), or one line that names the file, says what is wrong and what to do, exit 1.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir, testModel } from '../runtime/fixtures.js';
import { bundleCli, type CliHarness, type CliRun } from './cliHarness.js';

function assertOneLineError(r: CliRun, pattern: RegExp): void {
  assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
  assert.match(r.stderr, /^model-lab \w+: [^\n]+\n$/);
  assert.match(r.stderr, pattern);
}

describe('CLI messages on odd inputs', () => {
  let harness: CliHarness;
  let dir: string;
  let model: string;
  let bomPairs: string;

  before(async () => {
    harness = await bundleCli();
    dir = tempDir();
    model = await testModel(dir, 'llama.gguf');
    bomPairs = path.join(dir, 'bom.jsonl');
    fs.writeFileSync(bomPairs, '\ufeff{"prompt":"a","chosen":" b","rejected":" c"}\r\n{"prompt":"d","chosen":" e","rejected":" f"}\r\n');
  });
  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    harness.dispose();
  });

  test('train --pairs and eval --pairs read a JSONL saved with a BOM and CRLF line ends', async () => {
    const out = path.join(dir, 'bom-adapter.gguf');
    const t = await harness.runFromSource(['train', model, '--pairs', bomPairs, '--steps', '1', '--held-out', '0', '--out', out, '--data', path.join(dir, 'data'), '--json'],
      { timeoutMs: 300_000 });
    assert.equal(t.code, 0, t.stderr);
    assert.ok(fs.existsSync(out));
    const e = await harness.run(['eval', model, '--pairs', bomPairs, '--out', path.join(dir, 'eval-bom'), '--json']);
    assert.equal(e.code, 0, e.stderr);
    assert.equal(JSON.parse(e.stdout).pairs ?? JSON.parse(fs.readFileSync(path.join(dir, 'eval-bom', 'result.json'), 'utf8')).result.pairs, 2);
  });

  test('adapter import-peft of a missing folder, or one without its files: one line naming the folder and what is missing', async () => {
    const args = (d: string): string[] => ['adapter', 'import-peft', d, '--base', model, '--out', path.join(dir, 'peft.gguf')];
    const missing = path.join(dir, 'no-such-peft');
    let r = await harness.run(args(missing));
    assertOneLineError(r, /no-such-peft: no such folder \(a PEFT LoRA folder holds adapter_config\.json and adapter_model\.safetensors\)$/m);
    assert.doesNotMatch(r.stderr, /ENOENT/);
    const half = path.join(dir, 'half-peft');
    fs.mkdirSync(half);
    fs.writeFileSync(path.join(half, 'adapter_config.json'), '{"r":4,"lora_alpha":8,"peft_type":"LORA"}');
    r = await harness.run(args(half));
    assertOneLineError(r, /half-peft has no adapter_model\.safetensors \(a PEFT LoRA folder holds/);
    assert.equal(fs.existsSync(path.join(dir, 'peft.gguf')), false);
  });

  test('eval --ppl on an empty file names the file', async () => {
    const empty = path.join(dir, 'empty.txt');
    fs.writeFileSync(empty, '\n  \n');
    assertOneLineError(await harness.run(['eval', model, '--ppl', empty, '--out', path.join(dir, 'eval-empty')]), /empty\.txt is empty: nothing to score/);
  });

  test('train with no pair left gives the count, the reason and the token limit', async () => {
    const emptyAnswers = path.join(dir, 'empty-answers.jsonl');
    fs.writeFileSync(emptyAnswers, '{"prompt":"a","chosen":"","rejected":" c"}\n{"prompt":"d","chosen":" e","rejected":""}\n');
    assertOneLineError(await harness.run(['train', model, '--pairs', emptyAnswers, '--steps', '1', '--held-out', '0', '--out', path.join(dir, 'x.gguf'), '--data', path.join(dir, 'data')]),
      /No training pairs are left of 2: 2 had an empty chosen or rejected answer/);
    const long = path.join(dir, 'long.jsonl');
    const words = ' word'.repeat(2000);
    fs.writeFileSync(long, JSON.stringify({ prompt: 'a', chosen: words, rejected: ' c' }) + '\n');
    assertOneLineError(await harness.run(['train', model, '--pairs', long, '--steps', '1', '--held-out', '0', '--out', path.join(dir, 'x.gguf'), '--data', path.join(dir, 'data')]),
      /No training pairs are left of 1: 1 had an answer longer than the \d+-token limit/);
  });

  test('DNO that made no pair, given gold answers whose prompts match none: says so instead of asking for --pairs', async () => {
    const prompts = path.join(dir, 'prompts.txt');
    fs.writeFileSync(prompts, 'const x =\nfunction f(\n');
    const golds = path.join(dir, 'golds.jsonl');
    fs.writeFileSync(golds, '{"prompt":"let y =","chosen":" 1;","rejected":" ;"}\n');
    const r = await harness.run(['train', model, '--method', 'dno', '--prompts', prompts, '--pairs', golds, '--held-out', '0', '--judge-command', 'echo 0.5',
      '--samples', '2', '--iterations', '1', '--max-tokens', '4', '--data', path.join(dir, 'data'), '--json'], { timeoutMs: 300_000 });
    assertOneLineError(r, /made no pair.*none of the 1 prompts in .*golds\.jsonl is among the 2 training prompts of .*prompts\.txt \(they must match exactly\)/);
    assert.doesNotMatch(r.stderr, /give gold answers with --pairs/);
  });

  test('redundancy on a one-character calibration file is refused (its figures would mean nothing); the built-in sample runs', async () => {
    const tiny = path.join(dir, 'one-char.txt');
    fs.writeFileSync(tiny, 'x');
    assertOneLineError(await harness.run(['redundancy', model, '--calib', tiny]),
      /one-char\.txt gives \d+ calibration tokens; redundancy needs at least 128 .*give more text with --calib/);
    const r = await harness.runFromSource(['redundancy', model, '--json'], { timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.ok((JSON.parse(r.stdout) as { calibrationTokens: number }).calibrationTokens >= 128);
  });
});
