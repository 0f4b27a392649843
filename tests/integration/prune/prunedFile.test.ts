// Acceptance of the pruned-file writer: every pruned file passes our reader, runs in llama.cpp, and llama.cpp's
// log-probs on it equal those of the source with the dropped neurons zeroed (written by the same writer with
// zeroInstead: same shapes, zero rows and columns) — llama and phi3 with grouped-query attention, F32, F16, Q8_0 and
// Q4_K sources, uniform widths and real per-layer widths (llama.cpp's deci architecture; for phi3 with its fused
// tensors split and Q/K rows reordered from NEOX to NORM rope).
// Float sources agree to rounding (F32: the summation order of a shorter dot product, ≤ 4e-6 measured; F16: llama.cpp
// rounds activations to F16 either way, and a different dot-product length moves a value across an F16 rounding
// step now and then — mean |Δ| ≤ 7e-4 measured, the spread llama.cpp's own CPU builds show on F16 models). Quantized sources cannot agree exactly: ffn_down's kept columns are requantized in
// new blocks (and llama.cpp quantizes the shorter activation rows in different blocks), so the difference is bounded
// relative to what the pruning itself changes (source vs zeroed).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { readGguf } from '../../../src/engine/gguf/index.js';
import { ffnLayout, writePrunedGguf } from '../../../src/engine/prune/index.js';
import { writeTestModel, type TestModelArch, type TestWeightType } from '../../../src/engine/synth/index.js';
import { disposeLlamaCpp, llamaLogprobs, maxAbsDiff, meanAbsDiff, promptTokens } from './llamaCppScoring.js';

let dir = '';
before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-prune-')); });
after(async () => { await disposeLlamaCpp(); fs.rmSync(dir, { recursive: true, force: true }); });

/** Kept neurons: every other neuron from a seeded shuffle, `widths[l]` of them in layer l (ascending). */
function keptSets(widths: number[], F: number, seed: number): Int32Array[] {
  return widths.map((k, l) => {
    let s = seed + l;
    const order = Array.from({ length: F }, (_, i) => i).sort((a, b) => ((Math.imul(a + 1, 2654435761 + s) >>> 7) % 9973) - ((Math.imul(b + 1, 2654435761 + s) >>> 7) % 9973) || a - b);
    s++;
    return Int32Array.from(order.slice(0, k)).sort();
  });
}

const TYPES: Array<{ type: TestWeightType; nEmbd: number; nFf: number; uniform: number; global: number[] }> = [
  { type: 'F32', nEmbd: 64, nFf: 128, uniform: 64, global: [75, 40, 101] },
  { type: 'F16', nEmbd: 64, nFf: 128, uniform: 64, global: [75, 40, 101] },
  { type: 'Q8_0', nEmbd: 64, nFf: 256, uniform: 128, global: [96, 160, 224] },
  { type: 'Q4_K', nEmbd: 256, nFf: 1024, uniform: 512, global: [256, 768, 512] },
];

for (const arch of ['llama', 'phi3'] as TestModelArch[]) {
  for (const t of TYPES) {
    for (const allocation of ['uniform', 'global'] as const) {
      test(`${arch} ${t.type} ${allocation}: the pruned file computes what the source with those neurons zeroed computes`, async () => {
        const src = path.join(dir, `${arch}-${t.type}.gguf`);
        if (!fs.existsSync(src)) {
          await writeTestModel(src, { arch, weightType: t.type, nEmbd: t.nEmbd, nFf: t.nFf, nLayer: 3, nHead: 4, nHeadKv: 2, contextLength: 256, seed: 5 });
        }
        const widths = allocation === 'uniform' ? [t.uniform, t.uniform, t.uniform] : t.global;
        const kept = keptSets(widths, t.nFf, 17);
        const pruned = path.join(dir, `${arch}-${t.type}-${allocation}.gguf`);
        const zeroed = path.join(dir, `${arch}-${t.type}-${allocation}-zeroed.gguf`);
        const before = fs.readFileSync(src);
        const p = await writePrunedGguf(src, pruned, { kept, architecture: allocation === 'global' ? 'deci' : 'same' });
        await writePrunedGguf(src, zeroed, { kept, architecture: 'same', zeroInstead: true });
        assert.ok(fs.readFileSync(src).equals(before), 'the source is unchanged');

        // our reader: the widths llama.cpp will build
        const g = await readGguf(pruned);
        assert.equal(g.metadata['general.architecture'], allocation === 'global' ? 'deci' : arch);
        assert.deepEqual(ffnLayout(g).layers.map((l) => l.nFf), widths);
        assert.deepEqual(p.perLayerKept, widths);
        assert.ok(p.bytesOut < p.bytesIn, 'smaller file');
        if (allocation === 'global' && arch === 'phi3') {
          assert.ok(g.tensors.some((x) => x.name === 'blk.0.attn_q.weight') && !g.tensors.some((x) => x.name === 'blk.0.attn_qkv.weight'), 'phi3 → deci splits attn_qkv');
        }

        const tokens = promptTokens(48, 200, 7);
        const [a, b, c] = [await llamaLogprobs(src, tokens), await llamaLogprobs(pruned, tokens), await llamaLogprobs(zeroed, tokens)];
        const effect = meanAbsDiff(a, c), mean = meanAbsDiff(b, c), worst = maxAbsDiff(b, c);
        console.log(`# ${arch} ${t.type} ${allocation} (${widths.join('/')} of ${t.nFf}): pruned vs zeroed mean |Δ| ${mean.toExponential(2)}, max ${worst.toExponential(2)}; source vs zeroed mean ${effect.toExponential(2)}`);
        assert.ok(effect > 0.3, `pruning changes the model (source vs zeroed mean |Δ| ${effect})`);
        if (t.type === 'F32') assert.ok(worst <= 1e-4, `max |Δ| ${worst}`);
        else if (t.type === 'F16') assert.ok(mean <= 2e-3 && worst <= 1e-2, `mean |Δ| ${mean}, max ${worst}`);
        else assert.ok(mean <= (t.type === 'Q8_0' ? 0.05 : 0.2) * effect, `mean |Δ| ${mean} against the pruning's own ${effect}`);
      });
    }
  }
}
