// Every model the catalog offers, as a small replica (src/engine/synth/writeCatalogReplica.ts: the same
// architecture, metadata keys, tensor names and storage types, tokenizer kind, special tokens and rope settings,
// random weights): our reader accepts it, llama.cpp loads it, and the engine's log-probs on a text equal llama.cpp's
// within llamaParity.test.ts's bounds (F16: mean signed and mean |Δ| 1e-3, worst 1e-2; quantized: mean signed 2e-2,
// mean |Δ| 4e-2, worst 0.25) — or the engine refuses the file, before loading a tensor, naming what it lacks.
// Tokens come from trainingTokenizer, as training and pruning get them: llama.cpp's (vocabulary-only) for the
// BPE vocabularies, the engine's SPM tokenizer for Phi-3 — either way checked equal to llama.cpp's own.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { hyperparameterEntries } from '../../../src/engine/gguf/hyperparameterEntries.js';
import { readGguf } from '../../../src/engine/gguf/index.js';
import { GGML_TYPE } from '../../../src/engine/quant/index.js';
import { TOKENIZER } from '../../../src/engine/gguf/metadataKeys.js';
import { GGUF_VALUE_TYPE as V } from '../../../src/engine/gguf/types.js';
import { createWasmBackend, type KernelBackend } from '../../../src/engine/kernels/index.js';
import { batchLogprobs, checkEngineModelFile, loadEngineModel, makeBatch, type EngineModel } from '../../../src/engine/model/index.js';
import { CATALOG_REPLICA_IDS, catalogReplicaTypes, writeCatalogReplica, type CatalogReplicaId } from '../../../src/engine/synth/index.js';
import { WORDS } from '../../../src/engine/synth/spmVocab.js';
import { MODEL_CATALOG } from '../../../src/runtime/catalog.js';
import { trainingTokenizer } from '../../../src/runtime/core/llamaCppTokenizer.js';
import { EXACT_SCORING_CONTEXT, scoreTokens } from '../../../src/runtime/core/scoreTokens.js';

const CTX = { contextSize: 512, threads: 2, ...EXACT_SCORING_CONTEXT };

let dir = '';
let llama: any;
let backend: KernelBackend;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-replica-'));
  const { getLlama } = await import('node-llama-cpp');
  llama = await getLlama({ gpu: false, build: 'never' });
  backend = await createWasmBackend({ threads: 2 });
});
after(async () => {
  backend?.dispose();
  await llama?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A few hundred tokens of text from the replicas' vocabulary words, with punctuation and digits between. */
function text(seed: number, words: number): string {
  let s = seed;
  const next = (): number => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s >>> 8; };
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(next() % 11 === 0 ? `${next() % 1000},` : WORDS[next() % WORDS.length]);
  return out.join(' ') + '.';
}

interface Spread { worst: number; meanAbs: number; meanSigned: number; n: number }

async function parity(file: string, engine: EngineModel, expectSpmTokenizer: boolean): Promise<Spread> {
  const model = await llama.loadModel({ modelPath: file });
  const ctx = await model.createContext(CTX);
  try {
    const gguf = await readGguf(file);
    const seq = ctx.getSequence();
    const diffs: number[] = [];
    let signed = 0;
    // the tokenizer training and pruning use: the engine's SPM one where it covers the vocabulary, else llama.cpp's
    const tok = await trainingTokenizer(file);
    try {
      assert.equal(tok.source, expectSpmTokenizer ? 'engine' : 'llama.cpp');
      for (const [seed, words] of [[3, 6], [7, 150]] as const) {
        const t = text(seed, words);
        const theirTokens = tok.encode(t, { addBos: true });
        const llamaCpp = [...(gguf.metadata[TOKENIZER.addBos] === true ? [Number(gguf.metadata[TOKENIZER.bosId])] : []), ...model.tokenize(t, false).map(Number)];
        assert.deepEqual(theirTokens, llamaCpp, 'the training tokenizer gives llama.cpp\'s tokens');
        const n = theirTokens.length;
        const theirs = (await scoreTokens(seq, theirTokens, { window: 512 })).logprobs.slice(1) as number[];
        const ours = Array.from(batchLogprobs(engine, makeBatch([theirTokens])).subarray(0, n - 1));
        for (let i = 0; i < n - 1; i++) { diffs.push(Math.abs(ours[i] - theirs[i])); signed += ours[i] - theirs[i]; }
      }
    } finally {
      await tok.dispose();
    }
    const worst = Math.max(...diffs), meanAbs = diffs.reduce((a, b) => a + b, 0) / diffs.length;
    return { worst, meanAbs, meanSigned: signed / diffs.length, n: diffs.length };
  } finally {
    await ctx.dispose();
    await model.dispose();
  }
}

function assertWithin(d: Spread, quantized: boolean, what: string): void {
  console.log(`# ${what}: ${d.n} tokens, |Δ log p| max ${d.worst.toExponential(2)}, mean ${d.meanAbs.toExponential(2)}; mean signed Δ ${d.meanSigned.toExponential(2)}`);
  const tol = quantized ? 2e-2 : 1e-3;
  assert.ok(d.n > 100, `${d.n} tokens scored`);
  assert.ok(Math.abs(d.meanSigned) <= tol, `${what}: mean Δ log p ${d.meanSigned}`);
  assert.ok(d.meanAbs <= (quantized ? 2 : 1) * tol, `${what}: mean |Δ log p| ${d.meanAbs}`);
  assert.ok(d.worst <= (quantized ? 0.25 : 1e-2), `${what}: max |Δ log p| ${d.worst}`);
}

test('every catalog model has a replica', () => {
  assert.deepEqual([...CATALOG_REPLICA_IDS].sort(), MODEL_CATALOG.map((m) => m.id).sort());
});

const PARITY: Array<{ id: CatalogReplicaId; quantized: boolean; spm: boolean }> = [
  { id: 'phi-3-mini-4k-instruct-q4', quantized: true, spm: true },
  { id: 'phi-3-mini-4k-instruct-fp16', quantized: false, spm: true },
  { id: 'llama-3.2-1b-instruct-q4_k_m', quantized: true, spm: false },
];

for (const { id, quantized, spm } of PARITY) {
  test(`${id} replica: log-probs match llama.cpp's`, async () => {
    const file = path.join(dir, `${id}.gguf`);
    await writeCatalogReplica(file, id, { seed: 21 });
    await checkEngineModelFile(file);
    const engine = await loadEngineModel(file, { backend });
    try {
      const d = await parity(file, engine, spm);
      assertWithin(d, quantized, id);
      if (id.startsWith('llama-3.2')) {
        // the rope_freqs factors change the answer: without them the engine computes a different model
        assert.equal(engine.ropeFreqFactors?.length, 32);
        engine.ropeFreqFactors = undefined;
        const without = await parity(file, engine, false);
        console.log(`# ${id} without rope_freqs: |Δ log p| mean ${without.meanAbs.toExponential(2)}`);
        assert.ok(without.meanAbs > 2 * d.meanAbs && without.meanAbs > 4e-2, `ignoring rope_freqs moves log-probs by ${without.meanAbs} (with: ${d.meanAbs})`);
      }
    } finally {
      engine.dispose();
    }
  });
}

test('qwen2.5-0.5b-instruct-q4_k_m replica: its Q5_0 weights run on the integer kernels; log-probs match llama.cpp\'s', async () => {
  const id = 'qwen2.5-0.5b-instruct-q4_k_m';
  const file = path.join(dir, `${id}.gguf`);
  await writeCatalogReplica(file, id, { seed: 22 });
  await checkEngineModelFile(file);
  // the architecture (q/k/v biases, tied output, NEOX rope, 7 heads over 1 KV head, BPE 'qwen2') and its types
  const { weightType } = catalogReplicaTypes(id);
  assert.equal(weightType, 'Q5_0');
  const engine = await loadEngineModel(file, { backend });
  try {
    assert.equal(engine.layers[0].wq?.handle?.type, GGML_TYPE.Q5_0, 'attn_q kept as Q5_0');
    assert.equal(engine.output, engine.tokenEmbd, 'tied output');
    assert.ok(engine.layers[0].wq?.bias && engine.layers[0].wk?.bias && engine.layers[0].wv?.bias, 'q/k/v biases loaded');
    assertWithin(await parity(file, engine, false), true, id);
  } finally {
    engine.dispose();
  }
});

test('a model the engine cannot compute as llama.cpp does is refused before loading, naming what is missing', async () => {
  let progress = 0;
  const onProgress = (): void => { progress++; };
  // a rope scaling the engine does not implement
  const yarn = path.join(dir, 'yarn.gguf');
  await writeCatalogReplica(yarn, 'llama-3.2-1b-instruct-q4_k_m', { metadata: [
    { key: 'llama.rope.scaling.type', type: V.STRING, value: 'yarn' }, { key: 'llama.rope.scaling.factor', type: V.FLOAT32, value: 4 }] });
  await assert.rejects(loadEngineModel(yarn, { backend, onProgress }),
    (e: Error & { code?: string }) => e.code === 'ENGINE_UNSUPPORTED_ROPE' && /rope scaling 'yarn' \(×4\)/.test(e.message));
  // a tensor the architecture has no place for (llama.cpp's phi3 reads no rope_freqs either)
  const extra = path.join(dir, 'phi3-rope-freqs.gguf');
  await writeCatalogReplica(extra, 'phi-3-mini-4k-instruct-fp16', { ropeFreqs: new Array<number>(32).fill(2) });
  await assert.rejects(loadEngineModel(extra, { backend, onProgress }),
    (e: Error & { code?: string }) => e.code === 'ENGINE_UNSUPPORTED_TENSOR' && /'rope_freqs\.weight'/.test(e.message));
  // a storage type with no kernel (Q4_1, which no catalog model uses), named with its tensor, before any work
  const q41 = path.join(dir, 'q4_1.gguf');
  await writeCatalogReplica(q41, 'qwen2.5-0.5b-instruct-q4_k_m', { tensorTypes: { 'blk.0.attn_q.weight': 'Q4_1' } });
  await assert.rejects(loadEngineModel(q41, { backend, onProgress }),
    (e: Error & { code?: string }) => e.code === 'ENGINE_UNSUPPORTED_TYPE' && /Q4_1 \('blk\.0\.attn_q\.weight'/.test(e.message) && !/\n/.test(e.message));
  await assert.rejects(checkEngineModelFile(q41), (e: Error & { code?: string }) => e.code === 'ENGINE_UNSUPPORTED_TYPE');
  // an architecture the engine does not build (Gemma 2's keys over a llama replica's tensors)
  const gemma = path.join(dir, 'gemma2.gguf');
  await writeCatalogReplica(gemma, 'llama-3.2-1b-instruct-q4_k_m', { metadata: hyperparameterEntries({ architecture: 'gemma2',
    contextLength: 512, nEmbd: 256, nLayer: 2, nFf: 512, nHead: 4, nHeadKv: 1, ropeDims: 64, ropeBase: 10000, normEps: 1e-6, nVocab: 0 })
    .filter((m) => m.key !== 'gemma2.vocab_size') });
  await assert.rejects(loadEngineModel(gemma, { backend, onProgress }),
    (e: Error & { code?: string }) => e.code === 'ENGINE_UNSUPPORTED_ARCH' && /this one is 'gemma2'/.test(e.message));
  assert.equal(progress, 0);
});
