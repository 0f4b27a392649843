// The data folder's lineage end to end, as a user builds it on the command line: prune a base model into a
// variant, train an adapter on that pruned variant, and `model-lab variants --json` shows base → pruned → adapter,
// each with its parent's SHA-256.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeTestModel } from '../../../src/engine/synth/index.js';
import { bundleCli, type CliHarness } from './cliHarness.js';

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

let harness: CliHarness;
let dir: string;
before(async () => {
  harness = await bundleCli();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-lineage-'));
});
after(() => {
  harness.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('prune --data D, then train on that pruned variant --data D: variants shows base → pruned → adapter', async () => {
  const base = path.join(dir, 'base.gguf');
  await writeTestModel(base, { arch: 'llama', nEmbd: 64, nLayer: 2, nFf: 128, contextLength: 128, seed: 3 });
  const data = path.join(dir, 'D');

  const pruned = await harness.run(['prune', base, '--method', 'magnitude', '--sparsity', '0.5', '--data', data, '--json']);
  assert.equal(pruned.code, 0, pruned.stderr);
  const prunedFile = path.resolve(JSON.parse(pruned.stdout).out as string);

  const words = 'the of and to in is it that for on with as was be at by this are or from'.split(' ');
  const pairs = Array.from({ length: 12 }, (_, i) => ({
    prompt: `${words[i % words.length]} ${words[(3 * i) % words.length]}`,
    chosen: ` ${words[(i + 1) % words.length]}`,
    rejected: ` ${words[(i + 5) % words.length]}`,
  }));
  const pairsFile = path.join(dir, 'pairs.jsonl');
  fs.writeFileSync(pairsFile, pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');
  // from source: training starts kernel worker threads, which the test bundle does not carry
  const trained = await harness.runFromSource(['train', prunedFile, '--pairs', pairsFile, '--steps', '2', '--held-out', '0', '--threads', '1', '--data', data, '--json'], { timeoutMs: 600_000 });
  assert.equal(trained.code, 0, trained.stderr);

  const listed = await harness.run(['variants', '--data', data, '--json']);
  assert.equal(listed.code, 0, listed.stderr);
  assert.equal(listed.stderr, '');
  const rows = JSON.parse(listed.stdout) as Array<{ id: string; kind: string; file: string; sha256: string; parent: { file: string; sha256: string; variant: string | null } }>;
  assert.deepEqual(rows.map((r) => r.kind).sort(), ['adapter', 'pruned']);
  const p = rows.find((r) => r.kind === 'pruned')!;
  const a = rows.find((r) => r.kind === 'adapter')!;
  assert.equal(p.file, prunedFile);
  assert.deepEqual(p.parent, { file: base, sha256: sha(base), variant: null });
  assert.equal(p.sha256, sha(prunedFile));
  assert.deepEqual(a.parent, { file: prunedFile, sha256: p.sha256, variant: p.id });
  assert.equal(a.sha256, sha(a.file));
  assert.equal(path.basename(a.file), 'adapter.gguf');
});
