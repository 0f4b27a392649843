// `model-lab adapter merge`: the merged model scores, in llama.cpp, as the base with the adapter at scale 1
// (log-probs within 1e-3), for llama (separate q/k/v, gate/up) and phi3 (fused attn_qkv, gate|up in ffn_up).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readGguf } from '../../../src/engine/gguf/index.js';
import { loadEngineModel, LoraAdapter, saveLoraGguf } from '../../../src/engine/model/index.js';
import { writeTestModel } from '../../../src/engine/synth/index.js';
import { ALL_LORA_TARGETS } from '../../../src/engine/tune/index.js';
import { mergedVsAdapter } from './mergedVsAdapter.js';
import { bundleCli, type CliHarness } from '../cli/cliHarness.js';

let harness: CliHarness;
let dir: string;

describe('adapter merge', () => {
  before(async () => {
    harness = await bundleCli();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-merge-'));
  });
  after(() => {
    harness.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // F32 bases: with F16 or quantized weights llama.cpp rounds the activations of the base matmul (not of the adapter's),
  // so no merged file can score exactly as base + adapter there (llama F16: worst |Δ| 3.6e-3 on this peaky test model).
  for (const [arch, weightType] of [['llama', 'F32'], ['phi3', 'F32']] as const) {
    test(`${arch} ${weightType}: merged model = base + adapter at scale 1 in llama.cpp`, async () => {
      const base = path.join(dir, `${arch}.gguf`);
      await writeTestModel(base, { arch, weightType, nEmbd: 64, nLayer: 2, contextLength: 128, seed: 3 });
      const model = await loadEngineModel(base);
      const lora = LoraAdapter.create(model, { r: 4, alpha: 8, targets: ALL_LORA_TARGETS, seed: 5 });
      let k = 1;
      for (const p of lora.pairs.values()) for (let i = 0; i < p.b.length; i++) p.b[i] = Math.sin(k++ * 0.37) * 0.05;
      const adapter = path.join(dir, `${arch}.lora.gguf`);
      await saveLoraGguf(lora, model, adapter);
      model.dispose();

      const merged = path.join(dir, `${arch}.merged.gguf`);
      const r = await harness.run(['adapter', 'merge', base, adapter, '--out', merged, '--json']);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.out, merged);
      assert.equal(out.tensorsMerged, lora.pairs.size);
      const file = await readGguf(merged);
      assert.equal(file.tensors.length, (await readGguf(base)).tensors.length);

      const { moved, worst } = await mergedVsAdapter(base, merged, adapter);
      assert.ok(moved > 1e-2, `the adapter changes the model (${moved})`);
      assert.ok(worst <= 1e-3, `merged vs base + adapter: worst |Δ log p| ${worst}`);
      // a file that is not an adapter, or an adapter of another architecture, is refused in one line
      const bad = await harness.run(['adapter', 'merge', base, base, '--out', path.join(dir, 'x.gguf')]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /^model-lab adapter: .*not a LoRA adapter[^\n]*\n$/);
    });
  }
});
