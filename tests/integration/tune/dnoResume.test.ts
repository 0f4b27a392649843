// The host's DNO flow and a cancel mid-iteration: runDno samples and judges through llama.cpp (here the in-process
// runtime, as the CLI; the host passes its runtime client) and trains each iteration as a 'tune' job built by
// dnoIterationJobParams, the job kind the host's job process runs. Cancelled during training, the same call in the
// same run folder continues: the scored candidates are not sampled again, the job resumes from its checkpoint into
// the variant it reserved, and the iteration lands in the history.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { dnoIterationJobParams, tuneJob } from '../../../src/jobs/kinds/tune.js';
import { LlamaRuntime } from '../../../src/runtime/core/LlamaRuntime.js';
import { commandOracle, dnoPairRules, runDno, type DnoProgress, type DnoTrainer } from '../../../src/tune/dno/index.js';
import { listVariants } from '../../../src/workspace/index.js';
import { repoRoot } from '../cli/cliHarness.js';
import { propertyPairs, writePropertyJudge } from './dnoProperty.js';

const DEMO = path.join(repoRoot, 'media/models/demo.gguf');

test('DNO through tune jobs: cancelled while training, continued in the same run folder', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-dno-resume-'));
  const rt = new LlamaRuntime();
  // one thread: llama.cpp's spinning threads are slow on a busy 2-core machine
  await rt.initialize({ gpu: 'off', threads: 1, logLevel: 'error' });
  try {
    await rt.loadModel({ id: 'base', path: DEMO });
    const data = path.join(dir, 'data');
    const trainer: DnoTrainer = {
      async train(req) {
        const r = await tuneJob.run({ ...dnoIterationJobParams(req, DEMO, data, { rank: 4 }), threads: 1 }, {
          runDir: req.runDir, signal: req.signal ?? new AbortController().signal, log: () => undefined,
          progress: (p) => { if (p.step !== undefined && p.steps) req.onProgress?.(p.step / p.steps); },
        });
        return { adapter: r.outputPath, variantId: r.variantId, steps: r.steps, trainLoss: r.finalLoss };
      },
    };
    const pairs = propertyPairs(20, 9);
    const oracle = commandOracle(writePropertyJudge(dir));
    const runDir = path.join(data, 'runs', 'dno-test');
    const run = (signal: AbortSignal, onProgress?: (p: DnoProgress) => void) => runDno({
      runDir, rt, model: { modelId: 'base', label: 'demo' }, oracle, trainer,
      prompts: pairs.slice(0, 16).map((p) => p.prompt), validationPrompts: pairs.slice(16).map((p) => p.prompt),
      golds: new Map(pairs.map((p) => [p.prompt, [p.chosen]])),
      settings: { iterations: 1, samples: 2, temperature: 0.7, topP: 0.95, maxTokens: 8, mode: 'completion', rules: dnoPairRules(oracle.range), replayShare: 0.3, seed: 1, validationSamples: 2 },
      contextSize: 256, signal, onProgress,
    });

    const ac = new AbortController();
    const phases = new Set<string>();
    await assert.rejects(run(ac.signal, (p) => {
      phases.add(p.phase);
      if (p.phase === 'training') ac.abort(); // after the first step: the job stops before the next
    }), (e: Error & { code?: string }) => e.code === 'ABORTED');
    assert.deepEqual([...phases], ['baseline', 'sampling', 'judging', 'training']);
    const candidates = path.join(runDir, 'iter-1', 'candidates.json');
    const scoredAt = fs.statSync(candidates).mtimeMs;
    const pending = (await listVariants(data)).pending;
    assert.equal(pending.length, 1, 'the cancelled job keeps its variant reservation');
    assert.ok(fs.existsSync(path.join(runDir, 'iter-1', 'train', 'checkpoint.bin')), 'a checkpoint on cancel');
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(runDir, 'dno.json'), 'utf8')).iterations, []);

    const history = await run(new AbortController().signal);
    assert.equal(history.iterations.length, 1);
    assert.equal(fs.statSync(candidates).mtimeMs, scoredAt, 'the scored candidates were kept, not sampled again');
    const [it] = history.iterations;
    assert.equal(it!.variantId, pending[0]!.id, 'the resumed job finished the variant it reserved');
    assert.equal(history.best, 1);
    const { variants } = await listVariants(data);
    assert.deepEqual(variants.map((v) => [v.id, v.method, v.parameters.dno]), [[it!.variantId, 'dno', { iteration: 1, previous: null }]]);
    assert.ok(it!.pairs > 0 && it!.steps === Math.ceil(it!.pairs / 8), JSON.stringify(it));
  } finally {
    await rt.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
