// `model-lab prune` as a user runs it: the JSON shape, a variant registered under --data with its parent, --out equal
// to the model refused with the model untouched, and every bad sparsity a one-line error with exit code 1.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { readGguf } from '../../../src/engine/gguf/index.js';
import { writeTestModel } from '../../../src/engine/synth/index.js';
import { listVariants } from '../../../src/workspace/index.js';
import { bundleCli, type CliHarness } from '../cli/cliHarness.js';

let dir = '';
let model = '';
let harness: CliHarness;
before(async () => {
  harness = await bundleCli();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-prune-cli-'));
  model = path.join(dir, 'model.gguf');
  await writeTestModel(model, { arch: 'llama', weightType: 'Q8_0', nEmbd: 64, nFf: 256, nLayer: 3, seed: 3 });
});
after(() => { harness.dispose(); fs.rmSync(dir, { recursive: true, force: true }); });

test('--out --json: the issue\'s JSON shape; notes go to stderr', async () => {
  const out = path.join(dir, 'pruned.gguf');
  const r = await harness.run(['prune', model, '--method', 'magnitude', '--sparsity', '0.4', '--out', out, '--json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(j), ['out', 'method', 'sparsity', 'allocation', 'arch', 'nFfBefore', 'perLayerKept', 'bytesBefore', 'bytesAfter', 'seconds']);
  assert.equal(j.out, out);
  assert.deepEqual([j.method, j.sparsity, j.allocation, j.arch, j.nFfBefore], ['magnitude', 0.4, 'uniform', 'llama', 256]);
  // 154 of 256 kept rounds to 160: Q8_0's block is 32
  assert.deepEqual(j.perLayerKept, [160, 160, 160]);
  assert.match(r.stderr, /note: layer 0: 154 neurons kept rounded to 160 \(ffn_down's quantization block is 32\)/);
  assert.equal(j.bytesBefore, fs.statSync(model).size);
  assert.equal(j.bytesAfter, fs.statSync(out).size);
  assert.ok(j.bytesAfter < j.bytesBefore);
  assert.deepEqual((await readGguf(out)).metadata['llama.feed_forward_length'], 160);
  assert.ok(!fs.existsSync(path.join(dir, '.model-lab')), '--out writes nothing into a data folder');
});

test('--data: the pruned model becomes a variant of its parent', async () => {
  const data = path.join(dir, 'data');
  const r = await harness.run(['prune', model, '--method', 'random', '--sparsity', '0.5', '--allocation', 'global', '--seed', '7', '--data', data, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  const { variants } = await listVariants(data);
  assert.equal(variants.length, 1);
  const v = variants[0];
  assert.equal(v.kind, 'pruned');
  assert.equal(v.method, 'prune-ffn');
  assert.equal(path.resolve(v.parent.file), path.resolve(model));
  assert.deepEqual(v.parameters, { method: 'random', sparsity: 0.5, allocation: 'global', seed: 7 });
  assert.equal(path.resolve(j.out), path.resolve(data, 'variants', v.id, 'model.gguf'));
  assert.equal(j.arch, new Set(j.perLayerKept).size > 1 ? 'deci' : 'llama');
});

test('sparsity outside [0, 1) or not a number: one line on stderr, exit 1, nothing written', async () => {
  for (const s of ['1', '-0.1', '1.5', 'abc', '']) {
    const out = path.join(dir, `bad-${s}.gguf`);
    const r = await harness.run(['prune', model, '--method', 'random', '--sparsity', s, '--out', out]);
    assert.equal(r.code, 1, `--sparsity '${s}': ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^model-lab prune: --sparsity must be a number in \[0, 1\)[^\n]*\n$/);
    assert.ok(!fs.existsSync(out));
  }
});

test('--out naming the model itself is refused and the model stays as it was', async () => {
  const before = fs.readFileSync(model);
  for (const out of [model, path.join(path.dirname(model), '.', 'model.gguf')]) {
    const r = await harness.run(['prune', model, '--method', 'random', '--sparsity', '0.5', '--out', out]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^model-lab prune: the output .* is the source file itself/);
  }
  assert.ok(fs.readFileSync(model).equals(before));
});
