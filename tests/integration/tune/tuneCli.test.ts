// Acceptance of `model-lab train` on real models: a synthetic preference set whose chosen answers carry a property
// the base model almost never produces (a marker comment before the next line of TypeScript). Held-out preference
// accuracy by llama.cpp log-probs must rise from below chance to ≥ 0.9 and sampled completions with the adapter must
// show the marker far more often — for DPO and IPO on the demo model, and for a phi3 model with adapters only on its
// fused attn_qkv and ffn_up.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readGguf } from '../../../src/engine/gguf/index.js';
import { Rng } from '../../../src/engine/model/random.js';
import { writeTestModel } from '../../../src/engine/synth/index.js';
import { LlamaRuntime } from '../../../src/runtime/core/LlamaRuntime.js';
import { bundleCli, repoRoot, type CliHarness } from '../cli/cliHarness.js';
import { MARKER, syntheticPairs } from './syntheticPairs.js';

const DEMO = path.join(repoRoot, 'media/models/demo.gguf');
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

/** Share of prompts whose sampled completion (temperature 0.7, a seed per prompt) starts with the marker. */
async function markerRate(model: string, adapter: string | null, prompts: string[]): Promise<number> {
  const rt = new LlamaRuntime();
  await rt.initialize({ gpu: 'off', threads: 2, logLevel: 'error' });
  try {
    await rt.loadModel({ id: 'm', path: model });
    await rt.createSession({ id: 's', modelId: 'm', contextSize: 256, lora: adapter ? [{ path: adapter }] : undefined });
    let hits = 0;
    for (const [i, prompt] of prompts.entries()) {
      await rt.resetSession('s');
      const g = await rt.generate({ sessionId: 's', generationId: `g${i}`, prompt, maxTokens: 6, temperature: 0.7, seed: i + 1 });
      if (g.text.startsWith(MARKER)) hits++;
    }
    return hits / prompts.length;
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

  // DPO alone lowers the rejected answers until the held-out accuracy is 1, but the marker (a token the base gives
  // ~e^-8 at a line end) only becomes what the model writes with the chosen answers' NLL added (--sft-weight, TRL's
  // rpo_alpha) and more steps: measured on this set, sampled marker rate 0 with DPO alone, 0.69 with both.
  test('DPO (+ SFT weight 1) on the demo model: held-out accuracy from below chance to ≥ 0.9; sampled completions carry the marker', async () => {
    const pairs = writePairs(path.join(dir, 'dpo.jsonl'), syntheticPairs(repoRoot, 200, 1));
    const out = path.join(dir, 'dpo.gguf');
    const r = await train(DEMO, '--pairs', pairs, '--out', out, '--held-out', '20', '--data', path.join(dir, 'data'),
      '--sft-weight', '1', '--lr', '3e-3', '--epochs', '4');
    assert.deepEqual(Object.keys(r).filter((k) => ['out', 'steps', 'seconds', 'trainLoss', 'heldOutAccuracyBefore', 'heldOutAccuracyAfter', 'peakRssBytes'].includes(k)).length, 7);
    assert.equal(r.out, out);
    assert.equal(r.steps, Math.ceil((4 * 180) / 8));
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

    const prompts = syntheticPairs(repoRoot, 16, 99).map((p) => p.prompt);
    const [base, tuned] = [await markerRate(DEMO, null, prompts), await markerRate(DEMO, out, prompts)];
    assert.ok(base <= 0.1 && tuned >= 0.5, `marker in sampled completions: base ${base}, tuned ${tuned}`);
  });

  // IPO stops at a per-token log-ratio margin of 1/(2β): at β = 0.1 (5 nats a token) the marker's ~46-nat deficit was
  // not overturned (held-out 0.6 with the defaults, 0.55 at 3e-3 × 4 epochs); β = 0.01 gave 1.0 (measured)
  test('IPO (β 0.01) on the demo model: the same rise in held-out accuracy', async () => {
    const pairs = writePairs(path.join(dir, 'ipo.jsonl'), syntheticPairs(repoRoot, 200, 2));
    const r = await train(DEMO, '--pairs', pairs, '--out', path.join(dir, 'ipo.gguf'), '--method', 'ipo', '--held-out', '20', '--data', path.join(dir, 'data'),
      '--beta', '0.01', '--lr', '3e-3', '--epochs', '4');
    assert.ok((r.heldOutAccuracyBefore as number) < 0.5, `before ${r.heldOutAccuracyBefore}`);
    assert.ok((r.heldOutAccuracyAfter as number) >= 0.9, `after ${r.heldOutAccuracyAfter}`);
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
    const r = await train(model, '--pairs', writePairs(path.join(dir, 'phi3.jsonl'), pairs), '--targets', 'attn_qkv,ffn_up', '--held-out', '20', '--data', data,
      '--lr', '1e-2', '--epochs', '4');
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
