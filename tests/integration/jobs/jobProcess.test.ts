// The job process on its own (JobClient → src/jobs/main.ts under tsx): a train job streams progress and writes a
// GGUF our reader accepts, errors keep their class name and code across the process boundary, and an unknown kind
// is refused with a message that names the kinds there are.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readGguf } from '../../../src/engine/gguf/index.js';
import { JobClient } from '../../../src/jobs/client/JobClient.js';
import type { JobProgress } from '../../../src/protocol/jobs.js';
import { JOBS_SOURCE_ENTRY, jobFixture } from './fixtures.js';

test('a train job reports progress and writes model.gguf; errors keep their code; unknown kinds are refused', async () => {
  const fx = jobFixture();
  const client = new JobClient({ entry: JOBS_SOURCE_ENTRY });
  try {
    const seen: JobProgress[] = [];
    const runDir = path.join(fx.dir, 'run-a');
    const r = await client.run('job-a', 'train', runDir, fx.params(), { onProgress: (p) => seen.push(p) });
    assert.equal(r.steps, 40);
    const training = seen.filter((p) => p.phase === 'training');
    assert.deepEqual(training.map((p) => p.step), Array.from({ length: 40 }, (_, i) => i + 1));
    assert.ok(training.every((p) => p.jobId === 'job-a' && p.steps === 40 && p.fraction === p.step! / 40 && p.tokensPerSec! > 0 && p.etaSec! >= 0));
    assert.ok(r.finalLoss < training[0]!.loss!);
    assert.equal(r.outputPath, path.join(runDir, 'model.gguf'));
    const gguf = await readGguf(r.outputPath);
    assert.equal(gguf.metadata['general.architecture'], 'llama');
    assert.ok(!fs.existsSync(`${r.outputPath}.tmp`));

    await assert.rejects(client.run('job-c', 'train', path.join(fx.dir, 'run-c'), fx.params({ seqLen: 99 })), { name: 'TrainConfigError', code: 'TRAIN_CONFIG' });
    await assert.rejects(client.run('job-d', 'nope' as 'train', path.join(fx.dir, 'run-d'), fx.params()), { code: 'JOB_UNKNOWN_KIND', message: /no job kind 'nope' \(it has train(, [a-z]+)*\)/ });
  } finally {
    await client.dispose();
    fx.cleanup();
  }
});

test('a train job on a folder\'s text uses the demo model\'s tokenizer and saves it into model.gguf', async () => {
  const fx = jobFixture();
  const client = new JobClient({ entry: JOBS_SOURCE_ENTRY });
  try {
    // a small "workspace": this repository's engine sources, plus things the job must skip
    const folder = path.join(fx.dir, 'workspace');
    fs.cpSync(path.resolve('src/engine/optim'), path.join(folder, 'src'), { recursive: true });
    fs.mkdirSync(path.join(folder, 'node_modules', 'x'), { recursive: true });
    fs.writeFileSync(path.join(folder, 'node_modules', 'x', 'index.js'), 'skipped();\n'.repeat(50_000));
    fs.mkdirSync(path.join(folder, '.model-lab'));
    fs.writeFileSync(path.join(folder, 'image.png'), Buffer.alloc(1000, 7));
    const logs: string[] = [];
    const phases: string[] = [];
    const params = fx.params({ steps: 3, warmupSteps: 1, seqLen: 32, evalEvery: 0 }, { contextLength: 32 });
    const r = await client.run('job-t', 'train', path.join(fx.dir, 'run-t'), { ...params, data: { source: 'text', folder, tokenizerModel: path.resolve('media/models/demo.gguf') } }, {
      onLog: (l) => logs.push(l),
      onProgress: (p) => phases.at(-1) !== p.phase && phases.push(p.phase),
    });
    assert.deepEqual(phases, ['tokenizing', 'training', 'saving']);
    const files = fs.readdirSync(path.join(folder, 'src')).filter((f) => f.endsWith('.ts')).length;
    assert.match(logs[0]!, new RegExp(`^tokenized ${files} files `));
    const demo = await readGguf(path.resolve('media/models/demo.gguf'));
    const out = await readGguf(r.outputPath);
    assert.deepEqual(out.metadata['tokenizer.ggml.tokens'], demo.metadata['tokenizer.ggml.tokens']);

    // too little text is refused with what to do
    const empty = path.join(fx.dir, 'empty');
    fs.mkdirSync(empty);
    fs.writeFileSync(path.join(empty, 'a.md'), '# hi\n');
    await assert.rejects(client.run('job-e', 'train', path.join(fx.dir, 'run-e'), { ...params, data: { source: 'text', folder: empty, tokenizerModel: path.resolve('media/models/demo.gguf') } }), {
      code: 'JOB_TOO_LITTLE_TEXT', message: /has \d+ tokens of text in 1 files; training needs at least 64\. Add source or text files/,
    });
  } finally {
    await client.dispose();
    fx.cleanup();
  }
});
