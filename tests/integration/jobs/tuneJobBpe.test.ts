// The 'tune' job on models whose byte-level BPE vocabulary the engine's tokenizer does not cover (Qwen2.5,
// Llama 3.2, as catalog replicas): the job process (src/jobs/main.ts under tsx, as the extension forks it) tokenizes
// with llama.cpp's vocabulary, trains a few DPO steps and registers an adapter variant; llama.cpp loads that adapter
// on the base, and with it the training pairs' margin (log p of the chosen answer − of the rejected one, measured by
// llama.cpp) grows.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { readGguf } from '../../../src/engine/gguf/index.js';
import { writeCatalogReplica, type CatalogReplicaId } from '../../../src/engine/synth/index.js';
import { JobClient } from '../../../src/jobs/client/JobClient.js';
import type { TuneJobParams } from '../../../src/jobs/kinds/tune.js';
import type { JobProgress } from '../../../src/protocol/jobs.js';
import type { LoraAdapterRef } from '../../../src/protocol/runtime.js';
import { LlamaRuntime } from '../../../src/runtime/core/LlamaRuntime.js';
import { listVariants } from '../../../src/workspace/index.js';
import { syntheticPairs, type SyntheticPair } from '../tune/syntheticPairs.js';
import { JOBS_SOURCE_ENTRY } from './fixtures.js';

const root = path.resolve(import.meta.dirname, '../../..');
let dir = '';
let pairs: SyntheticPair[] = [];
let pairsFile = '';
let client: JobClient;
let rt: LlamaRuntime;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-tune-bpe-'));
  pairs = syntheticPairs(root, 8, 5, { promptChars: 40 });
  pairsFile = path.join(dir, 'pairs.jsonl');
  fs.writeFileSync(pairsFile, pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');
  client = new JobClient({ entry: JOBS_SOURCE_ENTRY });
  rt = new LlamaRuntime();
  await rt.initialize({ gpu: 'off', threads: 2 });
});
after(async () => {
  await client?.dispose();
  await rt?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Mean over the pairs of llama.cpp's log p(chosen | prompt) − log p(rejected | prompt), with or without an adapter. */
async function meanMargin(modelId: string, lora?: LoraAdapterRef[]): Promise<number> {
  const answerLogp = async (prompt: string, answer: string): Promise<number> => {
    const promptTokens = rt.tokenIds({ modelId, text: prompt, addBos: true }).length;
    const r = await rt.logprobs({ modelId, text: prompt + answer, lora });
    return r.logprobs.slice(promptTokens).reduce<number>((s, lp) => s + lp!, 0);
  };
  let sum = 0;
  for (const p of pairs) sum += (await answerLogp(p.prompt, p.chosen)) - (await answerLogp(p.prompt, p.rejected));
  return sum / pairs.length;
}

for (const id of ['qwen2.5-0.5b-instruct-q4_k_m', 'llama-3.2-1b-instruct-q4_k_m'] as CatalogReplicaId[]) {
  test(`tune job on the ${id} replica (BPE vocabulary): an adapter variant llama.cpp loads, the pairs' margin grows with it`, async () => {
    const model = path.join(dir, `${id}.gguf`);
    await writeCatalogReplica(model, id, { seed: 31 });
    assert.equal((await readGguf(model)).metadata['tokenizer.ggml.model'], 'gpt2', 'the replica has a byte-level BPE vocabulary');
    const data = path.join(dir, `data-${id}`);
    const params: TuneJobParams = {
      model, pairs: { from: 'file', path: pairsFile }, dataDirectory: data,
      choices: { method: 'dpo', steps: 6, rank: 4, lr: 1e-2, heldOut: 0 }, threads: 2,
    };
    const seen: JobProgress[] = [];
    const r = await client.run(`tune-${id}`, 'tune', path.join(data, 'runs', 'r1'), params, { onProgress: (p) => seen.push(p) });
    assert.deepEqual([r.steps, r.trainPairs, r.heldOutPairs], [6, pairs.length, 0]);
    assert.deepEqual(seen.filter((p) => p.phase === 'training').map((p) => p.step), [1, 2, 3, 4, 5, 6], 'every step reported');
    const { variants } = await listVariants(data);
    assert.deepEqual(variants.map((v) => [v.id, v.kind, v.path, path.resolve(v.parent.file)]), [[r.variantId, 'adapter', r.outputPath, model]]);

    await rt.loadModel({ id, path: model, gpuLayers: 0 });
    try {
      const before = await meanMargin(id);
      const withAdapter = await meanMargin(id, [{ path: r.outputPath }]);
      console.log(`# ${id}: mean margin ${before.toFixed(4)} without the adapter, ${withAdapter.toFixed(4)} with it`);
      assert.ok(withAdapter > before + 1e-3, `llama.cpp with the adapter: margin ${withAdapter} > ${before} without`);
    } finally {
      await rt.unloadModel(id);
    }
  });
}
