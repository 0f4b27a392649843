// Proof that our dequantization decodes each type exactly as llama.cpp does: a 1-layer llama model whose
// token_embd and output matrices are stored in type T (the rest F32). For a 1-token prompt attention is the identity
// on V and rope does nothing, so the whole forward pass is a few lines of plain TypeScript on our dequantized
// weights; its next-token distribution must match llama.cpp's.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { readGguf, readTensorBytes, type GgufFile } from '../../../src/engine/gguf/index.js';
import { dequantize, roundToF16 } from '../../../src/engine/quant/index.js';
import { writeTestModel, type TestWeightType } from '../../../src/engine/synth/index.js';

type Llama = Awaited<ReturnType<typeof import('node-llama-cpp').getLlama>>;
type Token = import('node-llama-cpp').Token;
let llama: Llama;
let dir: string;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  const { getLlama } = await import('node-llama-cpp');
  llama = await getLlama({ gpu: false, build: 'never' });
});
after(async () => {
  await llama?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

const cache = new Map<string, Float32Array>();
async function weight(f: GgufFile, name: string): Promise<Float32Array> {
  const key = `${f.path}:${name}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const t = f.tensors.find((x) => x.name === name);
  assert.ok(t, name);
  const w = dequantize(t.type, await readTensorBytes(f, t), t.elements);
  cache.set(key, w);
  return w;
}

/** y[rows] = W x, W with ne = [cols, rows] (row-major rows of `cols`) */
function matvec(w: Float32Array, x: Float32Array, rows: number): Float32Array {
  const cols = x.length;
  const y = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += w[r * cols + c] * x[c];
    y[r] = s;
  }
  return y;
}

function rmsNorm(x: Float32Array, g: Float32Array, eps: number): Float32Array {
  let ss = 0;
  for (const v of x) ss += v * v;
  const k = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => v * k * g[i]);
}

/** next-token probabilities after the single token `tok` (position 0) */
async function referenceProbs(f: GgufFile, tok: number, nHead: number, nHeadKv: number, eps: number): Promise<Float64Array> {
  const [E, out, on, an, fn, wv, wo, wg, wu, wd] = await Promise.all(
    ['token_embd', 'output', 'output_norm', 'blk.0.attn_norm', 'blk.0.ffn_norm', 'blk.0.attn_v', 'blk.0.attn_output', 'blk.0.ffn_gate', 'blk.0.ffn_up', 'blk.0.ffn_down'].map((n) => weight(f, `${n}.weight`)),
  );
  const nEmbd = an.length;
  const nFf = wg.length / nEmbd;
  const nVocab = E.length / nEmbd;
  const headDim = nEmbd / nHead;
  let x = E.slice(tok * nEmbd, (tok + 1) * nEmbd);
  // one position: softmax = 1, attention output = V, which llama.cpp keeps in its f16 KV cache
  const v = matvec(wv, rmsNorm(x, an, eps), headDim * nHeadKv).map(roundToF16);
  const att = new Float32Array(nEmbd);
  for (let h = 0; h < nHead; h++) att.set(v.subarray(Math.floor(h / (nHead / nHeadKv)) * headDim, (Math.floor(h / (nHead / nHeadKv)) + 1) * headDim), h * headDim);
  const o = matvec(wo, att, nEmbd);
  x = x.map((a, i) => a + o[i]);
  const h2 = rmsNorm(x, fn, eps);
  const g = matvec(wg, h2, nFf);
  const u = matvec(wu, h2, nFf);
  const act = g.map((a, i) => (a / (1 + Math.exp(-a))) * u[i]);
  const ff = matvec(wd, act, nEmbd);
  x = x.map((a, i) => a + ff[i]);
  const logits = matvec(out, rmsNorm(x, on, eps), nVocab);
  const max = Math.max(...logits);
  const e = Float64Array.from(logits, (l) => Math.exp(l - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((a) => a / sum);
}

const TYPES: TestWeightType[] = ['F32', 'F16', 'BF16', 'Q8_0', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K'];

/**
 * Largest |p_llama − p_ours| over the vocabulary and several 1-token prompts.
 * `where`: 'token_embd' — llama.cpp decodes the embedding row exactly (get_rows), the rest is F32: near-exact;
 * 'output' — llama.cpp rounds the activations to 8 bits (Q8_0/Q8_K) or f16 for the quantized matmul: looser.
 */
async function compare(type: TestWeightType, where: 'token_embd' | 'output'): Promise<number> {
  const file = path.join(dir, `conf-${type}-${where}.gguf`);
  const nHead = 4;
  const nHeadKv = 2;
  const info = await writeTestModel(file, {
    arch: 'llama', nEmbd: 256, nFf: 256, nLayer: 1, nHead, nHeadKv, seed: 7, tensorTypes: { [`${where}.weight`]: type },
  });
  const f = await readGguf(file);
  assert.equal(f.tensors.find((t) => t.name === `${where}.weight`)?.typeName, type);
  const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: 64, threads: 1 });
  let worst = 0;
  try {
    const sequence = context.getSequence();
    const prompts = where === 'token_embd' ? Array.from({ length: 24 }, (_, i) => 1 + Math.floor((i * (info.nVocab - 2)) / 23)) : [1, 70, 300, 500];
    for (const tok of prompts) {
      await sequence.clearHistory();
      const [res] = await sequence.controlledEvaluate([[tok as Token, { generateNext: { probabilities: true, options: { temperature: 0 } } }]]);
      const probs = res?.next?.probabilities;
      assert.ok(probs, `llama.cpp gave probabilities after token ${tok}`);
      const ours = await referenceProbs(f, tok, nHead, nHeadKv, info.normEps);
      for (let i = 0; i < info.nVocab; i++) worst = Math.max(worst, Math.abs((probs.get(i as Token) ?? 0) - ours[i]));
      const top = Math.max(...ours);
      assert.ok(top < 0.99 && top > 0.01, `non-degenerate distribution (top ${top}, token ${tok})`);
    }
  } finally {
    await context.dispose();
    await model.dispose();
  }
  return worst;
}

for (const type of TYPES) {
  test(`${type}: next-token probabilities from our dequantized weights match llama.cpp`, async () => {
    const exact = await compare(type, 'token_embd');
    const approx = await compare(type, 'output');
    console.log(`# ${type}: max |Δp| embedding in ${type} ${exact.toExponential(2)}, output in ${type} ${approx.toExponential(2)}`);
    assert.ok(exact < 1e-4, `${type} token_embd: max |Δp| = ${exact}`);
    assert.ok(approx < (type === 'F32' ? 1e-4 : type === 'F16' || type === 'BF16' ? 2e-3 : 1e-2), `${type} output: max |Δp| = ${approx}`);
  });
}
