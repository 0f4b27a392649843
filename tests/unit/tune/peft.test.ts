import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readGguf, readTensorBytes } from '../../../src/engine/gguf/index.js';
import { batchLogprobs, loadEngineModel, loadLoraGguf, LoraAdapter, makeBatch, saveLoraGguf } from '../../../src/engine/model/index.js';
import { exportPeft, importPeft, readSafetensors, ropeRowPermutation } from '../../../src/engine/peft/index.js';
import { writeTestModel } from '../../../src/engine/synth/index.js';
import { ALL_LORA_TARGETS } from '../../../src/engine/tune/index.js';

test('rope row order: Hugging Face halves ⇄ GGUF interleaved pairs, per head, and back', () => {
  const toHf = ropeRowPermutation(8, 2, true), toGguf = ropeRowPermutation(8, 2, false);
  // head 0: HF rows [0 1 | 2 3] are GGUF rows [0 2 1 3]
  assert.deepEqual(Array.from(toHf), [0, 2, 1, 3, 4, 6, 5, 7]);
  for (let r = 0; r < 8; r++) assert.equal(toHf[toGguf[r]!], r);
});

for (const arch of ['llama', 'phi3'] as const) {
  test(`${arch}: PEFT export names Hugging Face modules and import gives back the same adapter`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-peft-'));
    try {
      const base = path.join(dir, 'base.gguf');
      await writeTestModel(base, { arch, nEmbd: 64, nHead: 4, nHeadKv: 2, nLayer: 2, contextLength: 64, seed: 1 });
      const model = await loadEngineModel(base);
      const lora = LoraAdapter.create(model, { r: 4, alpha: 8, targets: ALL_LORA_TARGETS, seed: 3 });
      let k = 1;
      for (const p of lora.pairs.values()) for (let i = 0; i < p.b.length; i++) p.b[i] = Math.sin(k++ * 0.31) * 0.05;
      const adapter = path.join(dir, 'adapter.gguf');
      await saveLoraGguf(lora, model, adapter);

      const peft = path.join(dir, 'peft');
      if (arch === 'llama') await assert.rejects(exportPeft(adapter, peft), { code: 'PEFT_NEEDS_BASE' });
      await exportPeft(adapter, peft, { basePath: base });
      const config = JSON.parse(fs.readFileSync(path.join(peft, 'adapter_config.json'), 'utf8'));
      assert.equal(config.peft_type, 'LORA');
      assert.equal(config.r, 4);
      assert.equal(config.lora_alpha, 8);
      assert.deepEqual(config.target_modules, arch === 'phi3' ? ['down_proj', 'gate_up_proj', 'o_proj', 'qkv_proj']
        : ['down_proj', 'gate_proj', 'k_proj', 'o_proj', 'q_proj', 'up_proj', 'v_proj']);
      const st = readSafetensors(path.join(peft, 'adapter_model.safetensors'));
      const byName = new Map(st.tensors.map((t) => [t.name, t]));
      const q = arch === 'phi3' ? 'self_attn.qkv_proj' : 'self_attn.q_proj';
      const a = byName.get(`base_model.model.model.layers.1.${q}.lora_A.weight`)!;
      const b = byName.get(`base_model.model.model.layers.1.${q}.lora_B.weight`)!;
      const pair = lora.pairs.get(arch === 'phi3' ? 'blk.1.attn_qkv' : 'blk.1.attn_q')!;
      assert.deepEqual(a.shape, [4, 64]);
      assert.deepEqual(a.data, pair.a);
      assert.deepEqual(b.shape, [pair.b.length / 4, 4]);
      // llama's q rows are in Hugging Face's rope order; phi3's fused qkv is not reordered
      if (arch === 'llama') assert.notDeepEqual(b.data, pair.b); else assert.deepEqual(b.data, pair.b);

      const back = path.join(dir, 'back.gguf');
      await importPeft(peft, base, back);
      const [orig, round] = [await readGguf(adapter), await readGguf(back)];
      assert.equal(round.metadata['adapter.lora.alpha'], 8);
      assert.deepEqual(round.tensors.map((t) => t.name).sort(), orig.tensors.map((t) => t.name).sort());
      for (const t of orig.tensors) {
        const u = round.tensors.find((x) => x.name === t.name)!;
        assert.deepEqual(u.shape, t.shape);
        assert.deepEqual(await readTensorBytes(round, u), await readTensorBytes(orig, t), t.name);
      }
      const batch = makeBatch([[1, 5, 9, 14, 3, 7, 22]]);
      assert.deepEqual(batchLogprobs(model, batch, { lora: await loadLoraGguf(model, back) }), batchLogprobs(model, batch, { lora }));
      await assert.rejects(importPeft(peft, path.join(dir, 'missing.gguf'), path.join(dir, 'x.gguf')));
      model.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
