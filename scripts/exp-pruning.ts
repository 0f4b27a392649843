// `npm run exp:pruning`: the pruning experiment on the built-in demo model. Every method at 25/50/75 % sparsity,
// uniform and global; held-out perplexity by llama.cpp on the demo corpus's held-out files; for each selection, the
// uniqueness of the kept neurons (share with no kept partner at |cos| ≥ 0.8) and the share of the base model's
// first-order sensitivity they keep. Writes docs/experiments/pruning.md and pruning.svg.
//   env: EXP_STEPS (movement/gum steps, default 60), EXP_THREADS (default 2), EXP_HELDOUT_CHARS (default 20000),
//   EXP_CAL_TOKENS (calibration tokens, default 1024)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readGguf } from '../src/engine/gguf/index.js';
import { createWasmBackend } from '../src/engine/kernels/index.js';
import { batchLogprobs, loadEngineModel, makeBatch } from '../src/engine/model/index.js';
import {
  calibrationForModel, ffnLayout, PARTNER_COS, PRUNE_METHODS, pruneModel, scoreNeurons, type PruneAllocation, type PruneMethod,
} from '../src/engine/prune/index.js';
import { loadDemoCorpus } from '../src/engine/train/demo/demoCorpus.js';
import { LlamaRuntime } from '../src/runtime/core/LlamaRuntime.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STEPS = Number(process.env.EXP_STEPS ?? 60);
const THREADS = Number(process.env.EXP_THREADS ?? 2);
const HELDOUT_CHARS = Number(process.env.EXP_HELDOUT_CHARS ?? 20000);
const CAL_TOKENS = Number(process.env.EXP_CAL_TOKENS ?? 1024);
const SPARSITIES = [0.25, 0.5, 0.75];
const ALLOCATIONS: PruneAllocation[] = ['uniform', 'global'];
const SAMPLE_ROWS = 512;

const model = path.join(root, 'media/models/demo.gguf');
const outDir = path.join(root, 'docs/experiments');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-exp-pruning-'));

interface Row { method: PruneMethod; allocation: PruneAllocation; sparsity: number; ppl: number; widths: number[]; arch: string; uniqueness: number; sensitivityKept: number; seconds: number }

try {
  const corpus = loadDemoCorpus(path.join(root, 'node_modules/typescript'));
  const file = await readGguf(model);
  const calibration = calibrationForModel(file, corpus.train.map((f) => ({ name: f.name, text: f.text })), { window: 128, maxTokens: CAL_TOKENS });
  const heldOut = corpus.heldOut.map((f) => f.text).join('\n').slice(0, HELDOUT_CHARS);
  const layers = ffnLayout(file).layers;
  const backend = await createWasmBackend({ threads: THREADS });
  const rt = new LlamaRuntime();
  await rt.initialize({ gpu: 'off', threads: THREADS, logLevel: 'error' });
  const ppl = async (f: string): Promise<number> => {
    await rt.loadModel({ id: 'm', path: f });
    try {
      return (await rt.perplexity({ modelId: 'm', text: heldOut, contextSize: 256 })).ppl;
    } finally {
      await rt.unloadModel('m');
    }
  };

  // the base model's neuron similarities (cosines over calibration activations) and sensitivities
  const sens = (await scoreNeurons('sensitivity', { modelPath: model, file, layers, calibration, seed: 0, backend })).scores;
  const engine = await loadEngineModel(model, { backend });
  const F = engine.nFf;
  const samples = layers.map(() => new Float32Array(SAMPLE_ROWS * F));
  let have = 0;
  for (const seq of calibration.sequences) {
    if (have >= SAMPLE_ROWS) break;
    const take = Math.min(seq.length, SAMPLE_ROWS - have);
    batchLogprobs(engine, makeBatch([seq]), { captureFfn: (l, h) => samples[l].set(h.subarray(0, take * F), have * F) });
    have += take;
  }
  engine.dispose();
  const cos = samples.map((h) => {
    const g = new Float32Array(F * F);
    backend.gemm(true, false, F, F, have, 1, h.subarray(0, have * F), h.subarray(0, have * F), 0, g);
    const n = Float64Array.from({ length: F }, (_, i) => Math.sqrt(Math.max(0, g[i * F + i])));
    return (i: number, j: number): number => Math.abs(g[i * F + j]) / (n[i] * n[j] + 1e-6);
  });
  const sensTotal = sens.reduce((s, l) => s + l.reduce((a, b) => a + b, 0), 0);
  const keptStats = (kept: Int32Array[]): { uniqueness: number; sensitivityKept: number } => {
    let unique = 0, total = 0, s = 0;
    kept.forEach((k, l) => {
      for (const i of k) {
        let partner = false;
        for (const j of k) if (j !== i && cos[l](i, j) >= PARTNER_COS) { partner = true; break; }
        if (!partner) unique++;
        total++;
        s += sens[l][i];
      }
    });
    return { uniqueness: unique / total, sensitivityKept: s / sensTotal };
  };

  const basePpl = await ppl(model);
  const baseAll = keptStats(layers.map((l) => Int32Array.from({ length: l.nFf }, (_, i) => i)));
  console.log(`base: held-out perplexity ${basePpl.toFixed(2)}, uniqueness ${baseAll.uniqueness.toFixed(3)}`);
  const rows: Row[] = [];
  for (const method of PRUNE_METHODS) {
    for (const allocation of ALLOCATIONS) {
      for (const sparsity of SPARSITIES) {
        const out = path.join(work, `${method}-${allocation}-${sparsity}.gguf`);
        let kept: Int32Array[] = [];
        const r = await pruneModel({ modelPath: model, out, method, sparsity, allocation, seed: 1, calibration, steps: STEPS, backend, onSelection: (k) => (kept = k) });
        const row: Row = { method, allocation, sparsity, ppl: await ppl(out), widths: r.perLayerKept, arch: r.arch, ...keptStats(kept), seconds: r.seconds };
        rows.push(row);
        fs.rmSync(out, { force: true });
        console.log(`${method.padEnd(12)} ${allocation.padEnd(8)} ${sparsity}: ppl ${row.ppl.toFixed(2)} (${row.widths.join('/')} ${row.arch}), uniqueness ${row.uniqueness.toFixed(3)}, sensitivity kept ${row.sensitivityKept.toFixed(3)}`);
      }
    }
  }
  await rt.dispose();
  backend.dispose();

  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'pruning.svg'), chart(rows, basePpl));
  fs.writeFileSync(path.join(outDir, 'pruning.md'), report(rows, basePpl, baseAll.uniqueness, calibration.tokens, heldOut.length));
  console.log(`wrote ${path.relative(root, path.join(outDir, 'pruning.md'))} and pruning.svg`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}

function find(rows: Row[], method: string, allocation: string, sparsity: number): Row | undefined {
  return rows.find((r) => r.method === method && r.allocation === allocation && r.sparsity === sparsity);
}

/** What the numbers say, in sentences computed from them (nothing here is written before the run). */
function findings(rows: Row[]): string[] {
  const out: string[] = [];
  for (const allocation of ALLOCATIONS) {
    const at = (m: string, s: number): number => find(rows, m, allocation, s)!.ppl;
    const ratios = SPARSITIES.map((s) => at('magnitude', s) / at('random', s));
    const close = ratios.every((q) => q > 0.9 && q < 1.1);
    out.push(`${allocation}: magnitude / random perplexity ratio ${ratios.map((q) => q.toFixed(2)).join(', ')} at ${SPARSITIES.map((s) => `${s * 100} %`).join(', ')} — `
      + (close ? 'random ≈ magnitude here (within 10 %).' : `random and magnitude differ by more than 10 % at ${SPARSITIES.filter((_, i) => !(ratios[i] > 0.9 && ratios[i] < 1.1)).map((s) => `${s * 100} %`).join(', ')}.`));
    for (const s of SPARSITIES) {
      const ranked = rows.filter((r) => r.allocation === allocation && r.sparsity === s).sort((a, b) => a.ppl - b.ppl);
      const gum = Math.min(at('gum', s), at('gum-oneshot', s)), flap = at('flap', s);
      out.push(`${allocation} ${s * 100} %: best ${ranked[0].method} (${ranked[0].ppl.toFixed(2)}), worst ${ranked.at(-1)!.method} (${ranked.at(-1)!.ppl.toFixed(2)}); `
        + `${gum < flap ? `GUM (best of gum, gum-oneshot: ${gum.toFixed(2)}) beats FLAP (${flap.toFixed(2)})` : `FLAP (${flap.toFixed(2)}) beats GUM (best of gum, gum-oneshot: ${gum.toFixed(2)})`}.`);
    }
  }
  return out;
}

function report(rows: Row[], basePpl: number, baseUnique: number, calTokens: number, heldChars: number): string {
  const table = (allocation: PruneAllocation): string => [
    `| method | ${SPARSITIES.map((s) => `${s * 100} % ppl`).join(' | ')} | ${SPARSITIES.map((s) => `${s * 100} % uniq. / sens.`).join(' | ')} |`,
    `| --- | ${SPARSITIES.map(() => '---:').join(' | ')} | ${SPARSITIES.map(() => '---:').join(' | ')} |`,
    ...PRUNE_METHODS.map((m) => `| ${m} | ${SPARSITIES.map((s) => find(rows, m, allocation, s)!.ppl.toFixed(2)).join(' | ')} | `
      + `${SPARSITIES.map((s) => { const r = find(rows, m, allocation, s)!; return `${r.uniqueness.toFixed(2)} / ${r.sensitivityKept.toFixed(2)}`; }).join(' | ')} |`),
  ].join('\n');
  const widths = (allocation: PruneAllocation, s: number): string => PRUNE_METHODS.map((m) => { const r = find(rows, m, allocation, s)!; return `${m} ${r.widths.join('/')}`; }).join('; ');
  return `# Pruning experiment: the demo model

Generated by \`npm run exp:pruning\` (${new Date().toISOString().slice(0, 10)}). Model: \`media/models/demo.gguf\` (llama, 4 layers,
n_ff 512, F16). Calibration: ${calTokens} tokens of the demo corpus's training files. Held-out perplexity: llama.cpp on the
first ${heldChars} characters of the corpus's held-out files (never trained on), 256-token windows. Unpruned: **${basePpl.toFixed(2)}**.
Movement and GUM learn mask scores for ${STEPS} steps. "uniq." is the share of kept neurons with no kept partner at
|cos| ≥ ${PARTNER_COS} (unpruned: ${baseUnique.toFixed(2)}); "sens." the share of the unpruned model's summed first-order
sensitivity that the kept neurons carry. Global selections are written with their real per-layer widths (deci).

![held-out perplexity by sparsity](pruning.svg)

## What the numbers say
${findings(rows).map((f) => `- ${f}`).join('\n')}

## Uniform (same width in every layer)
${table('uniform')}

## Global (one ranking across layers)
${table('global')}

Per-layer widths at 50 %: ${widths('global', 0.5)}.
`;
}

function chart(rows: Row[], basePpl: number): string {
  const W = 360, H = 260, pad = 44, gap = 30;
  const colors = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#9c755f'];
  const ys = rows.map((r) => Math.log(r.ppl)).concat(Math.log(basePpl));
  const [lo, hi] = [Math.min(...ys), Math.max(...ys)];
  const x = (s: number, k: number): number => k * (W + gap) + pad + ((s - 0.25) / 0.5) * (W - 2 * pad);
  const y = (p: number): number => H - pad - ((Math.log(p) - lo) / (hi - lo || 1)) * (H - 2 * pad);
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W + gap}" height="${H + 20 * PRUNE_METHODS.length / 2}" font-family="sans-serif" font-size="11">`];
  ALLOCATIONS.forEach((a, k) => {
    parts.push(`<text x="${k * (W + gap) + W / 2}" y="14" text-anchor="middle" font-weight="bold">${a}: held-out perplexity (log scale)</text>`);
    parts.push(`<line x1="${x(0.25, k)}" y1="${H - pad}" x2="${x(0.75, k)}" y2="${H - pad}" stroke="#888"/>`);
    for (const s of SPARSITIES) parts.push(`<text x="${x(s, k)}" y="${H - pad + 14}" text-anchor="middle">${s * 100} %</text>`);
    parts.push(`<line x1="${x(0.25, k)}" y1="${y(basePpl)}" x2="${x(0.75, k)}" y2="${y(basePpl)}" stroke="#aaa" stroke-dasharray="4 3"/><text x="${x(0.25, k) - 4}" y="${y(basePpl) + 4}" text-anchor="end">${basePpl.toFixed(1)}</text>`);
    PRUNE_METHODS.forEach((m, i) => {
      const pts = SPARSITIES.map((s) => { const r = find(rows, m, a, s)!; return `${x(s, k).toFixed(1)},${y(r.ppl).toFixed(1)}`; });
      parts.push(`<polyline fill="none" stroke="${colors[i]}" stroke-width="2" points="${pts.join(' ')}"/>`);
      const last = find(rows, m, a, 0.75)!;
      if (k === 0) parts.push(`<text x="${x(0.75, k) + 4}" y="${(y(last.ppl) + 4).toFixed(1)}" fill="${colors[i]}">${last.ppl.toFixed(0)}</text>`);
    });
  });
  PRUNE_METHODS.forEach((m, i) => parts.push(`<rect x="${pad + (i % 4) * 170}" y="${H + 2 + Math.floor(i / 4) * 18}" width="12" height="4" fill="${colors[i]}"/><text x="${pad + 16 + (i % 4) * 170}" y="${H + 8 + Math.floor(i / 4) * 18}">${m}</text>`));
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
