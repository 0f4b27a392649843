// Acceptance of `model-lab train` at its defaults (no loss or schedule flags) on real models: a synthetic preference
// set whose chosen answers carry a property the base model almost never produces (a marker comment before the next
// line of TypeScript). Held-out preference accuracy by llama.cpp log-probs must rise from below chance to ≥ 0.9,
// sampled completions with the adapter must show the marker far more often, and the adapter must not wreck the model:
// llama.cpp's perplexity on held-out text with it stays within PPL_FACTOR of the base's — for DPO on the demo model;
// the accuracy for IPO too, and for a phi3 model with adapters only on its fused attn_qkv and ffn_up.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readGguf } from '../../../src/engine/gguf/index.js';
import { Rng } from '../../../src/engine/model/random.js';
import { writeTestModel } from '../../../src/engine/synth/index.js';
import { HELD_OUT_FILES } from '../../../src/engine/train/demo/demoCorpus.js';
import { tuneConfigFor } from '../../../src/engine/tune/index.js';
import { LlamaRuntime } from '../../../src/runtime/core/LlamaRuntime.js';
import { bundleCli, repoRoot, type CliHarness } from '../cli/cliHarness.js';
import { MARKER, syntheticPairs } from './syntheticPairs.js';

const DEMO = path.join(repoRoot, 'media/models/demo.gguf');
/**
 * How much worse llama.cpp's perplexity on held-out lib text may be with the adapter than without. The property itself
 * costs some: at every line end the tuned model gives much of the newline's probability to the marker, which that
 * text never has — SFT on the chosen answers alone costs ×2.1 here. Plain DPO (no SFT term) cost ×589, IPO at β 0.01
 * ×3·10⁷ (docs/experiments/tune-defaults.md).
 */
const PPL_FACTOR = 3;
const PPL_TEXT = (): string => fs.readFileSync(path.join(repoRoot, 'node_modules/typescript/lib', HELD_OUT_FILES[5]!), 'utf8').slice(0, 6000);
let harness: CliHarness;
let dir: string;

const writePairs = (file: string, pairs: object[]): string => {
  fs.writeFileSync(file, pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');
  return file;
};

async function train(...args: string[]): Promise<Record<string, unknown>> {
  const r = await harness.runFromSource(['train', ...args, '--threads', '2', '--json'], { timeoutMs: 1_800_000 });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/**
 * With and without the adapter: the share of prompts whose sampled completion (temperature 0.7, a seed per prompt)
 * starts with the marker, and llama.cpp's perplexity on held-out text.
 */
async function withAndWithout(model: string, adapter: string, prompts: string[]): Promise<{ base: number; tuned: number; pplBase: number; pplTuned: number }> {
  const rt = new LlamaRuntime();
  await rt.initialize({ gpu: 'off', threads: 2, logLevel: 'error' });
  try {
    await rt.loadModel({ id: 'm', path: model });
    const rate = async (lora: boolean): Promise<number> => {
      const id = lora ? 'tuned' : 'base';
      await rt.createSession({ id, modelId: 'm', contextSize: 256, lora: lora ? [{ path: adapter }] : undefined });
      let hits = 0;
      for (const [i, prompt] of prompts.entries()) {
        await rt.resetSession(id);
        const g = await rt.generate({ sessionId: id, generationId: `${id}${i}`, prompt, maxTokens: 6, temperature: 0.7, seed: i + 1 });
        if (g.text.startsWith(MARKER)) hits++;
      }
      await rt.disposeSession(id);
      return hits / prompts.length;
    };
    const text = PPL_TEXT();
    return {
      base: await rate(false), tuned: await rate(true),
      pplBase: (await rt.perplexity({ modelId: 'm', text })).ppl, pplTuned: (await rt.perplexity({ modelId: 'm', text, lora: [{ path: adapter }] })).ppl,
    };
  } finally {
    await rt.dispose();
  }
}

describe('model-lab train (LoRA preference tuning) on real models', () => {
  before(async () => {
    harness = await bundleCli();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-tune-cli-'));
  });
  after(() => {
    harness.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('DPO at the defaults on the demo model: held-out accuracy from below chance to ≥ 0.9; sampled completions carry the marker; perplexity stays close', async (t) => {
    const pairs = writePairs(path.join(dir, 'dpo.jsonl'), syntheticPairs(repoRoot, 200, 1));
    const out = path.join(dir, 'dpo.gguf');
    const r = await train(DEMO, '--pairs', pairs, '--out', out, '--held-out', '20', '--data', path.join(dir, 'data'));
    t.diagnostic(`train: ${JSON.stringify({ steps: r.steps, seconds: r.seconds, before: r.heldOutAccuracyBefore, after: r.heldOutAccuracyAfter })}`);
    assert.deepEqual(Object.keys(r).filter((k) => ['out', 'steps', 'seconds', 'trainLoss', 'heldOutAccuracyBefore', 'heldOutAccuracyAfter', 'peakRssBytes'].includes(k)).length, 7);
    assert.equal(r.out, out);
    assert.equal(r.steps, tuneConfigFor({}, 180).steps);
    assert.ok((r.heldOutAccuracyBefore as number) < 0.5, `before ${r.heldOutAccuracyBefore}`);
    assert.ok((r.heldOutAccuracyAfter as number) >= 0.9, `after ${r.heldOutAccuracyAfter}`);
    assert.ok((r.peakRssBytes as number) > 0 && Number.isFinite(r.trainLoss)); // DPO + the chosen answers' NLL: no fixed bound
    // every adapter passes our GGUF reader: llama.cpp's adapter format for this base
    const gguf = await readGguf(out);
    assert.equal(gguf.metadata['general.type'], 'adapter');
    assert.equal(gguf.metadata['adapter.lora.alpha'], 16);
    // TRL-named metrics, one line per step, in the run folder
    const lines = fs.readFileSync(path.join(r.run as string, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, r.steps);
    assert.ok(lines.every((m) => 'rewards/margins' in m && 'logps/chosen' in m && 'grad_norm' in m && 'learning_rate' in m && 'tokens/s' in m));

    const m = await withAndWithout(DEMO, out, syntheticPairs(repoRoot, 16, 99).map((p) => p.prompt));
    t.diagnostic(`with and without the adapter: ${JSON.stringify(m)}`);
    assert.ok(m.base <= 0.1 && m.tuned >= 0.5, `marker in sampled completions: base ${m.base}, tuned ${m.tuned}`);
    assert.ok(m.pplTuned <= PPL_FACTOR * m.pplBase, `held-out perplexity: base ${m.pplBase}, with the adapter ${m.pplTuned}`);
  });

  // IPO's β at its default (TRL's τ = 0.1) reaches held-out accuracy 1 on this set; the marker shows up in fewer
  // samples than with DPO and held-out perplexity rises more (×6.5 on the phi3 demo; docs/experiments/tune-defaults.md),
  // so perplexity is not bounded here
  test('IPO at the defaults on the demo model: the same rise in held-out accuracy; sampled completions carry the marker', async (t) => {
    const pairs = writePairs(path.join(dir, 'ipo.jsonl'), syntheticPairs(repoRoot, 200, 2));
    const out = path.join(dir, 'ipo.gguf');
    const r = await train(DEMO, '--pairs', pairs, '--out', out, '--method', 'ipo', '--held-out', '20', '--data', path.join(dir, 'data'));
    t.diagnostic(`train: ${JSON.stringify({ steps: r.steps, seconds: r.seconds, before: r.heldOutAccuracyBefore, after: r.heldOutAccuracyAfter })}`);
    assert.ok((r.heldOutAccuracyBefore as number) < 0.5, `before ${r.heldOutAccuracyBefore}`);
    assert.ok((r.heldOutAccuracyAfter as number) >= 0.9, `after ${r.heldOutAccuracyAfter}`);
    const m = await withAndWithout(DEMO, out, syntheticPairs(repoRoot, 16, 99).map((p) => p.prompt));
    t.diagnostic(`with and without the adapter: ${JSON.stringify(m)}`);
    assert.ok(m.base <= 0.1 && m.tuned >= 0.3, `marker in sampled completions: base ${m.base}, tuned ${m.tuned}`);
  });

  test('phi3 with adapters only on the fused attn_qkv and ffn_up, registered as a variant of its base', async () => {
    const model = path.join(dir, 'phi3.gguf');
    await writeTestModel(model, { arch: 'phi3', nEmbd: 64, nLayer: 2, contextLength: 128, seed: 5 });
    const words = 'the of and to in is it that for on with as was be at by this are or from'.split(' ');
    const rng = new Rng(7);
    const some = (n: number): string => Array.from({ length: n }, () => words[Math.floor(rng.next() * words.length)]).join(' ');
    const pairs = Array.from({ length: 120 }, () => {
      const answer = ' ' + some(3);
      return { prompt: some(6), chosen: ' hello world' + answer, rejected: answer };
    });
    const data = path.join(dir, 'phi3-data');
    // a random-weight model, unlike a trained one, needs a larger step than the defaults' to move in 50 steps: measured
    // held-out 0.05–0.75 at 2e-3–5e-3, 1.0 at 1e-2 (the loss mix and schedule stay the defaults)
    const r = await train(model, '--pairs', writePairs(path.join(dir, 'phi3.jsonl'), pairs), '--targets', 'attn_qkv,ffn_up', '--held-out', '20', '--data', data,
      '--lr', '1e-2');
    assert.ok((r.heldOutAccuracyBefore as number) < 0.5, `before ${r.heldOutAccuracyBefore}`);
    assert.ok((r.heldOutAccuracyAfter as number) >= 0.9, `after ${r.heldOutAccuracyAfter}`);
    assert.match(r.out as string, /variants\/dpo-[^/]+\/adapter\.gguf$/);
    const manifest = JSON.parse(fs.readFileSync(path.join(path.dirname(r.out as string), 'manifest.json'), 'utf8'));
    assert.equal(manifest.kind, 'adapter');
    assert.equal(manifest.parent.file, model);
    const names = (await readGguf(r.out as string)).tensors.map((t) => t.name);
    assert.ok(names.length > 0 && names.every((n) => /\.(attn_qkv|ffn_up)\.weight\.lora_[ab]$/.test(n)), names.join(' '));
  });
});
