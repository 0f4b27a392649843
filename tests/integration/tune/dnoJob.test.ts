// A DNO iteration as the host runs it: a 'tune' job with dnoIterationJobParams continues the previous iterate's
// adapter (its rank wins over the choices), takes the reference from it (the first step's margin is zero), trains
// one epoch, and registers an adapter variant whose parameters name the iteration and the previous variant.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { dnoIterationJobParams, tuneJob } from '../../../src/jobs/kinds/tune.js';
import type { JobContext } from '../../../src/jobs/kinds/JobKind.js';
import { listVariants, sha256File } from '../../../src/workspace/index.js';
import { syntheticPairs } from './syntheticPairs.js';

const root = path.resolve(import.meta.dirname, '../../..');
const DEMO = path.join(root, 'media/models/demo.gguf');
const context = (runDir: string): JobContext => ({ runDir, signal: new AbortController().signal, progress: () => undefined, log: () => undefined });

test('tune job for DNO iteration 2: from iteration 1\'s adapter, with it as the reference, chained in the variant', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-dno-job-'));
  try {
    const pairsFile = path.join(dir, 'pairs.jsonl');
    fs.writeFileSync(pairsFile, syntheticPairs(root, 16, 5, { promptChars: 40 }).map((p) => JSON.stringify(p)).join('\n') + '\n');
    const data = path.join(dir, 'data');
    const it1 = await tuneJob.run({ ...dnoIterationJobParams({ iteration: 1, pairsFile }, DEMO, data, { rank: 4 }), threads: 2 }, context(path.join(data, 'runs', 'it1')));
    const it2 = await tuneJob.run({
      ...dnoIterationJobParams({ iteration: 2, pairsFile, initAdapter: it1.outputPath, previousVariantId: it1.variantId }, DEMO, data, { rank: 8 }), threads: 2,
    }, context(path.join(data, 'runs', 'it2')));

    const { variants } = await listVariants(data);
    const v2 = variants.find((v) => v.id === it2.variantId)!;
    assert.equal(v2.method, 'dno');
    assert.deepEqual(v2.parameters.dno, { iteration: 2, previous: it1.variantId });
    assert.equal(v2.parameters.rank, 4, 'the adapter continued keeps its rank');
    assert.equal(path.resolve(v2.parent.file), DEMO);
    assert.deepEqual(variants.find((v) => v.id === it1.variantId)!.parameters.dno, { iteration: 1, previous: null });

    const config = JSON.parse(fs.readFileSync(path.join(data, 'runs', 'it2', 'config.json'), 'utf8'));
    assert.equal(config.reference, 'init');
    assert.equal(config.initId, await sha256File(it1.outputPath));
    assert.equal(it2.steps, Math.ceil(16 / 8), 'one epoch, no held-out split');
    const first = JSON.parse(fs.readFileSync(path.join(data, 'runs', 'it2', 'metrics.jsonl'), 'utf8').split('\n')[0]!);
    assert.ok(Math.abs(first['rewards/margins']) < 1e-5, `the reference is the adapter the run starts from: ${JSON.stringify(first)}`);
    const first1 = JSON.parse(fs.readFileSync(path.join(data, 'runs', 'it1', 'metrics.jsonl'), 'utf8').split('\n')[0]!);
    assert.equal(first1['rewards/margins'], 0, 'a fresh adapter (B = 0) starts at zero margin too');
    assert.notDeepEqual(fs.readFileSync(it2.outputPath), fs.readFileSync(it1.outputPath));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
