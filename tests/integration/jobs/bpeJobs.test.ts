// The 'tune' and 'train' jobs on models whose byte-level BPE vocabulary the engine's tokenizer does not cover
// (Qwen2.5, Llama 3.2, as catalog replicas): the job process (src/jobs/main.ts under tsx, as the extension forks it)
// tokenizes with llama.cpp's vocabulary. Tune trains a few DPO steps and registers an adapter variant; llama.cpp loads
// that adapter on the base, and with it the training pairs' margin (log p of the chosen answer − of the rejected one,
// measured by llama.cpp) grows. Train pretrains a small model on a folder's text with that vocabulary, which the saved
// model carries: llama.cpp loads it and tokenizes text as the replica does.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { readGguf } from '../../../src/engine/gguf/index.js';
import { catalogReplicaTypes, writeCatalogReplica, type CatalogReplicaId, type TestWeightType } from '../../../src/engine/synth/index.js';
import { JobClient } from '../../../src/jobs/client/JobClient.js';
import type { TuneJobParams } from '../../../src/jobs/kinds/tune.js';
import type { JobProgress } from '../../../src/protocol/jobs.js';
import type { LoraAdapterRef } from '../../../src/protocol/runtime.js';
import { LlamaRuntime } from '../../../src/runtime/core/LlamaRuntime.js';
import { listVariants } from '../../../src/workspace/index.js';
import { syntheticPairs, type SyntheticPair } from '../tune/syntheticPairs.js';
import { JOBS_SOURCE_ENTRY, jobFixture } from './fixtures.js';

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

/**
 * The replica's storage types with Q8_0 where it has Q5_0 (Qwen2.5's fallback for rows that are not a multiple of 256):
 * this test is about tokenizing, whatever kernels the engine has.
 */
function withoutQ5_0(id: CatalogReplicaId): Record<string, TestWeightType> {
  const { weightType, tensorTypes } = catalogReplicaTypes(id);
  const out: Record<string, TestWeightType> = { ...tensorTypes };
  const names = ['token_embd.weight', ...[0, 1].flatMap((il) => ['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down'].map((t) => `blk.${il}.${t}.weight`))];
  for (const n of names) if ((out[n] ?? weightType) === 'Q5_0') out[n] = 'Q8_0';
  return out;
}

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
    await writeCatalogReplica(model, id, { seed: 31, tensorTypes: withoutQ5_0(id) });
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

test('train job on a folder\'s text with the Llama 3.2 replica\'s BPE tokenizer: the saved model carries it, llama.cpp loads it', async () => {
  const fx = jobFixture();
  try {
    const replica = path.join(fx.dir, 'llama3.gguf');
    await writeCatalogReplica(replica, 'llama-3.2-1b-instruct-q4_k_m', { seed: 32 });
    const folder = path.join(fx.dir, 'workspace');
    fs.cpSync(path.resolve('src/engine/optim'), path.join(folder, 'src'), { recursive: true });
    const logs: string[] = [];
    const params = fx.params({ steps: 3, warmupSteps: 1, seqLen: 32, evalEvery: 0 }, { contextLength: 32 });
    const r = await client.run('train-bpe', 'train', path.join(fx.dir, 'run'), { ...params, data: { source: 'text', folder, tokenizerModel: replica } }, { onLog: (l) => logs.push(l) });
    assert.equal(r.steps, 3);
    assert.match(logs[0]!, /^tokenized \d+ files /);
    const src = (await readGguf(replica)).metadata;
    const out = (await readGguf(r.outputPath)).metadata;
    for (const key of ['tokenizer.ggml.model', 'tokenizer.ggml.pre', 'tokenizer.ggml.tokens', 'tokenizer.ggml.merges', 'tokenizer.ggml.bos_token_id', 'tokenizer.ggml.eos_token_id']) {
      assert.deepEqual(out[key], src[key], `${key} is the replica's`);
    }
    await rt.loadModel({ id: 'trained', path: r.outputPath, gpuLayers: 0 });
    await rt.loadModel({ id: 'replica', path: replica, gpuLayers: 0 });
    try {
      const text = 'export function step(params: number[]): void {}';
      assert.deepEqual(rt.tokenIds({ modelId: 'trained', text, addBos: true }), rt.tokenIds({ modelId: 'replica', text, addBos: true }));
      const lp = await rt.logprobs({ modelId: 'trained', text });
      assert.ok(lp.logprobs.slice(1).every((x) => Number.isFinite(x)), 'llama.cpp scores text with the trained model');
    } finally {
      await rt.unloadModel('trained');
      await rt.unloadModel('replica');
    }
  } finally {
    fx.cleanup();
  }
});
