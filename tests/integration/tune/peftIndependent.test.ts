// PEFT import checked without our PEFT writer: the test writes a PEFT LoRA folder itself (its own safetensors bytes:
// 8-byte little-endian header length, JSON header with dtype/shape/data_offsets, raw little-endian F32 data; keys as
// PEFT saves them for a Hugging Face llama or phi3 model), imports it with `model-lab adapter import-peft`, and
// compares llama.cpp's log-probs with the imported adapter against a merged model W + (alpha/r)·B·A that the test
// computes itself from the base's F32 weights — in Hugging Face's row order for llama's q/k, which the test moves
// into GGUF's rope order on its own.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { metadataEntries, readGguf, readTensorBytes, writeGguf, type GgufTensorToWrite } from '../../../src/engine/gguf/index.js';
import { writeTestModel } from '../../../src/engine/synth/index.js';
import { mergedVsAdapter } from './mergedVsAdapter.js';
import { bundleCli, type CliHarness } from '../cli/cliHarness.js';

const R = 4, ALPHA = 12, DROPOUT = 0.05;

/** Hugging Face module → the GGUF tensor it adapts, per architecture (what PEFT users target). */
const MODULES: Record<'llama' | 'phi3', Array<[string, string]>> = {
  llama: [['self_attn.q_proj', 'attn_q'], ['self_attn.k_proj', 'attn_k'], ['self_attn.v_proj', 'attn_v'], ['self_attn.o_proj', 'attn_output'],
    ['mlp.gate_proj', 'ffn_gate'], ['mlp.up_proj', 'ffn_up'], ['mlp.down_proj', 'ffn_down']],
  // phi3's fused projections: rows q|k|v and gate|up, in the same order in both formats
  phi3: [['self_attn.qkv_proj', 'attn_qkv'], ['self_attn.o_proj', 'attn_output'], ['mlp.gate_up_proj', 'ffn_up'], ['mlp.down_proj', 'ffn_down']],
};

/** A minimal safetensors writer, independent of src/engine/peft: F32 tensors, header padded to 8 bytes. */
function writeSafetensorsByHand(file: string, tensors: Array<{ name: string; shape: number[]; data: Float32Array }>): void {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * t.data.length] };
    offset += 4 * t.data.length;
  }
  let json = JSON.stringify(header);
  while (json.length % 8) json += ' ';
  const out = Buffer.alloc(8 + json.length + offset);
  out.writeUInt32LE(json.length, 0); // a u64: the high half stays 0
  out.write(json, 8, 'latin1');
  let o = 8 + json.length;
  for (const t of tensors) for (const v of t.data) { out.writeFloatLE(v, o); o += 4; }
  fs.writeFileSync(file, out);
}

/** Deterministic small values: no shared PRNG with the code under test. */
const wave = (n: number, k: number, amp: number): Float32Array => Float32Array.from({ length: n }, (_, i) => amp * Math.sin(0.7 * i + 1.3 * k) * Math.cos(0.11 * i * (k + 1)));

/**
 * Hugging Face llama keeps each head's q/k rows as two rotated halves; GGUF interleaves them (llama.cpp's converter
 * reshapes to [heads, 2, D/2] and swaps the last two axes). GGUF row h·D + 2j + s is Hugging Face row h·D + s·D/2 + j.
 */
function hfRowOfGgufRow(row: number, rows: number, heads: number): number {
  const D = rows / heads, h = Math.floor(row / D), w = row % D, j = w >> 1, s = w & 1;
  return h * D + s * (D / 2) + j;
}

let harness: CliHarness;
let dir: string;

describe('PEFT import against an adapter written without our writer', () => {
  before(async () => {
    harness = await bundleCli();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-peft-ind-'));
  });
  after(() => {
    harness.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const arch of ['llama', 'phi3'] as const) {
    test(`${arch}: llama.cpp scores base + imported PEFT adapter as the test's own merge W + (alpha/r)·B·A (within 1e-3)`, async () => {
      const base = path.join(dir, `${arch}.gguf`);
      const info = await writeTestModel(base, { arch, weightType: 'F32', nEmbd: 64, nHead: 4, nHeadKv: arch === 'llama' ? 2 : 4, nLayer: 2, contextLength: 128, seed: 11 });
      const file = await readGguf(base);
      const byName = new Map(file.tensors.map((t) => [t.name, t]));

      // the PEFT folder, as PEFT's save_pretrained lays it out
      const peft = path.join(dir, `${arch}-peft`);
      fs.mkdirSync(peft);
      const tensors: Array<{ name: string; shape: number[]; data: Float32Array }> = [];
      const deltas = new Map<string, { a: Float32Array; b: Float32Array; rows: number; cols: number }>();
      let k = 0;
      for (let layer = 0; layer < info.nLayer; layer++) {
        for (const [module, suffix] of MODULES[arch]) {
          const t = byName.get(`blk.${layer}.${suffix}.weight`)!;
          const [cols, rows] = t.shape as [number, number]; // GGUF ne = [in, out]
          const a = wave(R * cols, k++, 0.2), b = wave(rows * R, k++, 0.2);
          const key = `base_model.model.model.layers.${layer}.${module}`;
          tensors.push({ name: `${key}.lora_A.weight`, shape: [R, cols], data: a }, { name: `${key}.lora_B.weight`, shape: [rows, R], data: b });
          deltas.set(t.name, { a, b, rows, cols });
        }
      }
      writeSafetensorsByHand(path.join(peft, 'adapter_model.safetensors'), tensors);
      fs.writeFileSync(path.join(peft, 'adapter_config.json'), JSON.stringify({
        peft_type: 'LORA', task_type: 'CAUSAL_LM', r: R, lora_alpha: ALPHA, lora_dropout: DROPOUT, bias: 'none', use_rslora: false,
        fan_in_fan_out: false, target_modules: MODULES[arch].map(([m]) => m.split('.')[1]), base_model_name_or_path: 'test',
      }));

      const adapter = path.join(dir, `${arch}.lora.gguf`);
      const r = await harness.run(['adapter', 'import-peft', peft, '--base', base, '--out', adapter, '--json']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { out: adapter, tensors: 2 * deltas.size, rank: R, alpha: ALPHA, dropout: DROPOUT });
      const imported = await readGguf(adapter);
      assert.ok(Math.abs((imported.metadata['model_lab.lora.dropout'] as number) - DROPOUT) < 1e-7, 'lora_dropout kept');
      // and written back by export-peft, for training on with PEFT
      const back = path.join(dir, `${arch}-back`);
      const e = await harness.run(['adapter', 'export-peft', adapter, '--base', base, '--out', back, '--json']);
      assert.equal(e.code, 0, e.stderr);
      assert.equal(JSON.parse(fs.readFileSync(path.join(back, 'adapter_config.json'), 'utf8')).lora_dropout, DROPOUT);

      // the merge, by the test: W[row, :] += (alpha/r) · Σ_k B[hfRow, k] · A[k, :]
      const merged = path.join(dir, `${arch}.merged.gguf`);
      const out: GgufTensorToWrite[] = [];
      for (const t of file.tensors) {
        const w = new Float32Array((await readTensorBytes(file, t)).slice().buffer); // F32 base: the stored values
        const d = deltas.get(t.name);
        if (d) {
          const heads = t.name.endsWith('attn_q.weight') ? info.nHead : info.nHeadKv;
          const rope = arch === 'llama' && /attn_[qk]\.weight$/.test(t.name);
          for (let row = 0; row < d.rows; row++) {
            const src = rope ? hfRowOfGgufRow(row, d.rows, heads) : row;
            for (let c = 0; c < d.cols; c++) {
              let s = 0;
              for (let q = 0; q < R; q++) s += d.b[src * R + q]! * d.a[q * d.cols + c]!;
              w[row * d.cols + c]! += (ALPHA / R) * s;
            }
          }
        }
        out.push({ name: t.name, type: 0, shape: t.shape as number[], data: new Uint8Array(w.buffer) });
      }
      await writeGguf(merged, { metadata: metadataEntries(file), tensors: out });
      await readGguf(merged); // our reader passes it before llama.cpp sees it

      const { moved, worst } = await mergedVsAdapter(base, merged, adapter);
      assert.ok(moved > 5e-2, `the adapter changes the model (largest |Δ log p| ${moved})`);
      assert.ok(worst <= 1e-3, `test's merge vs base + imported adapter: worst |Δ log p| ${worst}`);
    });
  }
});
