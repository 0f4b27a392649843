// Fuzzing: thousands of mutated GGUF files (bit flips, truncation, huge counts, swapped types, insertions,
// deletions, splices), seeded. Each must parse or fail with a GgufFormatError. It runs in a worker whose heap is
// capped at 100 MB, so an allocation driven by a corrupt count would kill the worker and fail the test.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';

test('6000 mutated files: a parse or a GgufFormatError, never anything else', { timeout: 180_000 }, async () => {
  const result = await new Promise<{ outcomes: Record<string, number>; failures: string[]; maxHeapMb: number }>((resolve, reject) => {
    // Node 20 does not pass `--import tsx` on to workers: register tsx in the worker, then load the script
    const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(new URL('./fuzzWorker.ts', import.meta.url).href)}); })`;
    const w = new Worker(boot, {
      eval: true,
      workerData: { seed: 20261126, cases: 5800, fileCases: 200 },
      resourceLimits: { maxOldGenerationSizeMb: 100, maxYoungGenerationSizeMb: 16 },
    });
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (code) => reject(new Error(`fuzz worker exited with ${code} before reporting`)));
  });
  assert.deepEqual(result.failures, []);
  const total = Object.values(result.outcomes).reduce((a, b) => a + b, 0);
  assert.equal(total, 6000);
  // the mutants reach many different checks, not just the magic number
  assert.ok(Object.keys(result.outcomes).length >= 12, JSON.stringify(result.outcomes));
  console.log(`# fuzz outcomes ${JSON.stringify(result.outcomes)}; max heap ${result.maxHeapMb.toFixed(0)} MB`);
});
