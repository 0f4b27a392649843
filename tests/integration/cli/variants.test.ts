// `model-lab variants` as a user runs it, on a data folder holding base → pruned → adapter made through
// src/workspace (as prune and train do): JSON shape and lineage, the default data folder, the text tree, warnings
// for broken folders on stderr, and usage errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createVariant } from '../../../src/workspace/index.js';
import { modelFileArgument, openVariantOutput } from '../../../src/cli/variantOutput.js';
import { llamaTargets, tempDir, testModel, writeTestLora } from '../runtime/fixtures.js';
import { bundleCli, type CliHarness } from './cliHarness.js';

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('CLI variants', () => {
  let harness: CliHarness;
  let dir: string;
  let data: string;
  let base: string;
  let prunedId: string;
  let adapterId: string;

  before(async () => {
    harness = await bundleCli();
    dir = tempDir();
    data = path.join(dir, '.model-lab');
    base = await testModel(dir, 'base.gguf', { nLayer: 2 });
    const pruned = await createVariant(data, { kind: 'pruned', method: 'prune-ffn', parent: { file: base }, parameters: { keep: 0.5 } });
    await testModel(pruned.dir, 'model.gguf', { nLayer: 2, nFf: 64 });
    await pruned.commit({ metrics: { ppl: 31.25, keptFraction: 0.5 } });
    const adapter = await createVariant(data, { kind: 'adapter', method: 'dpo', parent: { variant: pruned.id } });
    await writeTestLora(adapter.file, { targets: llamaTargets(2, 64, 64) });
    await adapter.commit({ metrics: { loss: 0.61 } });
    // A job still writing: reserved, not listed.
    await createVariant(data, { kind: 'adapter', method: 'sft', parent: { variant: pruned.id } });
    prunedId = pruned.id;
    adapterId = adapter.id;
  });
  after(() => {
    harness.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('--json lists base → pruned → adapter with each parent’s file and sha256', async () => {
    const r = await harness.run(['variants', '--data', data, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const rows = JSON.parse(r.stdout) as Array<Record<string, any>>;
    assert.equal(rows.length, 2);
    for (const row of rows) assert.deepEqual(Object.keys(row).sort(), ['created', 'file', 'id', 'kind', 'method', 'metrics', 'parent', 'sha256']);
    const pruned = rows.find((x) => x.id === prunedId)!;
    const adapter = rows.find((x) => x.id === adapterId)!;
    assert.equal(pruned.kind, 'pruned');
    assert.equal(pruned.file, path.join(data, 'variants', prunedId, 'model.gguf'));
    assert.deepEqual(pruned.parent, { file: base, sha256: sha(base), variant: null });
    assert.deepEqual(pruned.metrics, { ppl: 31.25, keptFraction: 0.5 });
    assert.equal(pruned.sha256, sha(pruned.file));
    assert.equal(adapter.kind, 'adapter');
    assert.equal(adapter.method, 'dpo');
    assert.equal(adapter.file, path.join(data, 'variants', adapterId, 'adapter.gguf'));
    assert.deepEqual(adapter.parent, { file: pruned.file, sha256: sha(pruned.file), variant: prunedId });
    assert.ok(!Number.isNaN(Date.parse(adapter.created)));
  });

  test('without --data the data folder is .model-lab in the current folder; text output is the lineage tree', async () => {
    const [j, text] = await Promise.all([harness.run(['variants', '--json'], { cwd: dir }), harness.run(['variants'], { cwd: dir })]);
    assert.equal(j.code, 0, j.stderr);
    assert.deepEqual(JSON.parse(j.stdout).map((x: { id: string }) => x.id).sort(), [adapterId, prunedId].sort());
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.trimEnd().split('\n');
    assert.match(lines[0], new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}  sha256 ${sha(base).slice(0, 12)}`));
    assert.match(lines[1], new RegExp(`^  ${prunedId}  pruned  prune-ffn  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d  ppl=31.25 keptFraction=0.5$`));
    assert.match(lines[2], new RegExp(`^    ${adapterId}  adapter  dpo  .*loss=0.61$`));
    assert.equal(lines[3], '(1 unfinished variant folder)');
  });

  test('an empty or missing data folder lists nothing; a broken manifest is a warning on stderr, not a failure', async () => {
    const empty = await harness.run(['variants', '--data', path.join(dir, 'none'), '--json']);
    assert.equal(empty.code, 0, empty.stderr);
    assert.equal(empty.stdout, '[]\n');
    const plain = await harness.run(['variants', '--data', path.join(dir, 'none')]);
    assert.match(plain.stdout, /^no variants in /);

    const broken = path.join(data, 'variants', 'hand-made');
    fs.mkdirSync(broken);
    fs.writeFileSync(path.join(broken, 'manifest.json'), '{"parent": "x"');
    try {
      const r = await harness.run(['variants', '--data', data, '--json']);
      assert.equal(r.code, 0);
      assert.equal(JSON.parse(r.stdout).length, 2);
      assert.equal(r.stderr, `warning: ${broken}: manifest.json is not valid JSON\n`);
    } finally {
      fs.rmSync(broken, { recursive: true });
    }
  });

  test('a MODEL argument may name a variant of the data folder; output without --out becomes a variant, with --out a plain file', async () => {
    const prunedFile = path.join(data, 'variants', prunedId, 'model.gguf');
    assert.equal(await modelFileArgument(prunedId, { data }), prunedFile);
    assert.equal(await modelFileArgument(base, { data }), base);
    await assert.rejects(modelFileArgument('no-such-variant', { data }), (e: any) => e.code === 'FILE_NOT_FOUND' && /no variant of that id/.test(e.message));

    const out = await openVariantOutput({ data }, { kind: 'adapter', method: 'sft', parent: { file: prunedFile } });
    assert.equal(out.variant!.parent.variant, prunedId);
    await writeTestLora(out.file, { targets: llamaTargets(2, 64, 64) });
    const done = await out.commit({ loss: 1 });
    assert.equal(done.file, out.file);
    assert.match(done.variantId!, /^sft-/);

    const file = path.join(dir, 'exports', 'plain.gguf');
    const plain = await openVariantOutput({ data, out: file }, { kind: 'adapter', method: 'sft', parent: { file: prunedFile } });
    assert.equal(plain.file, file);
    assert.equal(plain.variant, null);
    await writeTestLora(file, { targets: llamaTargets(2, 64, 64) });
    assert.deepEqual(await plain.commit(), { file, variantId: null });
    fs.rmSync(path.join(data, 'variants', done.variantId!), { recursive: true });
  });

  test('usage errors exit 2 with one line and nothing on stdout', async () => {
    for (const args of [['variants', 'extra'], ['variants', '--bogus']]) {
      const r = await harness.run(args);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^model-lab variants: [^\n]+\n$/);
    }
  });
});
