// A LoRA adapter trained by the engine, saved with saveLoraGguf, gives the same log-probs in llama.cpp (loaded with
// createContext({ lora })) as in the engine, and loads back with loadLoraGguf.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { batchLogprobs, loadEngineModel, loadLoraGguf, LoraAdapter, makeBatch, saveLoraGguf } from '../../../src/engine/model/index.js';
import { writeTestModel } from '../../../src/engine/synth/index.js';
import { EXACT_SCORING_CONTEXT, scoreTokens } from '../../../src/runtime/core/scoreTokens.js';

for (const arch of ['llama', 'phi3'] as const) {
  test(`${arch}: adapter on every projection scores the same in llama.cpp and round-trips`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
    const { getLlama } = await import('node-llama-cpp');
    const llama = await getLlama({ gpu: false, build: 'never' });
    try {
      const base = path.join(dir, 'base.gguf');
      await writeTestModel(base, { arch, nEmbd: 64, nLayer: 2, contextLength: 128, seed: 4 });
      const model = await loadEngineModel(base);
      const targets = arch === 'phi3' ? (['attn_qkv', 'attn_output', 'ffn_up', 'ffn_down'] as const)
        : (['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down'] as const);
      const lora = LoraAdapter.create(model, { r: 4, alpha: 8, targets: [...targets], seed: 2 });
      let k = 1;
      for (const p of lora.pairs.values()) for (let i = 0; i < p.b.length; i++) p.b[i] = Math.sin(k++ * 0.7) * 0.05;
      const file = path.join(dir, 'adapter.gguf');
      await saveLoraGguf(lora, model, file);
      const seq = Array.from({ length: 30 }, (_, i) => 3 + ((i * 53) % 250));
      const batch = makeBatch([seq]);
      const ours = batchLogprobs(model, batch, { lora });
      const plain = batchLogprobs(model, batch);
      assert.ok(Math.max(...Array.from(ours.subarray(0, 29), (v, i) => Math.abs(v - plain[i]))) > 1e-2, 'the adapter changes the model');
      const back = await loadLoraGguf(model, file);
      assert.deepEqual(batchLogprobs(model, batch, { lora: back }), ours);
      const lm = await llama.loadModel({ modelPath: base });
      const ctx = await lm.createContext({ contextSize: 128, threads: 2, ...EXACT_SCORING_CONTEXT,
        lora: { adapters: [{ filePath: file, scale: 1 }] } });
      try {
        const theirs = (await scoreTokens(ctx.getSequence(), seq, { window: 128 })).logprobs.slice(1) as number[];
        theirs.forEach((v, i) => assert.ok(Math.abs(v - ours[i]) <= 1e-3, `token ${i + 1}: llama.cpp ${v}, engine ${ours[i]}`));
      } finally {
        await ctx.dispose();
        await lm.dispose();
      }
      model.dispose();
    } finally {
      await llama.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
