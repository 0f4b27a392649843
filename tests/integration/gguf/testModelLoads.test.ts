// Generated test models load in llama.cpp (node-llama-cpp), tokenize/detokenize round-trip and generate.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { modelSpecFromGguf, readGguf } from '../../../src/engine/gguf/index.js';
import { writeTestModel, type TestModelOptions } from '../../../src/engine/synth/index.js';

type Llama = Awaited<ReturnType<typeof import('node-llama-cpp').getLlama>>;
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

const cases: TestModelOptions[] = [
  { arch: 'llama', weightType: 'F32' },
  { arch: 'llama', weightType: 'F16', tiedOutput: true },
  { arch: 'phi3', weightType: 'F16' },
  { arch: 'phi3', weightType: 'F32', nHeadKv: 4, tiedOutput: true },
  { arch: 'qwen2', weightType: 'F32', tiedOutput: true },
  { arch: 'qwen2', weightType: 'F16', nHeadKv: 1 },
  // every type we quantize to, and (as random blocks) every other type we decode
  { arch: 'llama', weightType: 'BF16' },
  { arch: 'llama', weightType: 'Q8_0' },
  { arch: 'phi3', weightType: 'Q4_0' },
  { arch: 'qwen2', weightType: 'Q4_K' },
  { arch: 'phi3', weightType: 'Q6_K', tiedOutput: true },
  { arch: 'llama', weightType: 'Q4_K', tiedOutput: true },
  { arch: 'llama', weightType: 'Q4_1' },
  { arch: 'llama', weightType: 'Q5_0' },
  { arch: 'llama', weightType: 'Q5_1' },
  { arch: 'llama', weightType: 'Q2_K' },
  { arch: 'llama', weightType: 'Q3_K' },
  { arch: 'llama', weightType: 'Q5_K' },
];

for (const opts of cases) {
  test(`${opts.arch} ${opts.weightType} tied=${opts.tiedOutput ?? false} kv=${opts.nHeadKv ?? 'default'}: llama.cpp loads, round-trips text and generates`, async () => {
    const file = path.join(dir, `${opts.arch}-${opts.weightType}-${String(opts.tiedOutput)}-${opts.nHeadKv}.gguf`);
    const info = await writeTestModel(file, opts);
    const parsed = await readGguf(file);
    assert.deepEqual(parsed.warnings, []);
    const matrices = parsed.tensors.filter((t) => t.shape.length === 2);
    assert.deepEqual([...new Set(matrices.map((t) => t.typeName))], [opts.weightType]);
    const spec = modelSpecFromGguf(parsed);
    assert.equal(spec.architecture, opts.arch);
    assert.equal(spec.nHeadKv, info.nHeadKv);
    assert.equal(spec.tiedOutput, opts.tiedOutput ?? false);

    const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
    const context = await model.createContext({ contextSize: 128, threads: 1 });
    try {
      const text = 'hello world, the model is good! héllo 世界 {x}\n\ttab';
      const tokens = model.tokenize(text);
      assert.ok(tokens.length > 5);
      assert.equal(model.detokenize(tokens), text);
      assert.ok(tokens.some((t) => t > 259), 'ordinary pieces are used, not only byte fallback');

      const sequence = context.getSequence();
      const prompt = model.tokenize('the model');
      const generated: number[] = [];
      for await (const t of sequence.evaluate(prompt, { temperature: 0 })) {
        generated.push(t);
        if (generated.length >= 4) break;
      }
      assert.equal(generated.length, 4);
      assert.ok(generated.every((t) => t >= 0 && t < info.nVocab));

      // the next-token distribution is neither flat nor one-hot (weights are scaled for that)
      await sequence.clearHistory();
      let probs: Map<number, number> | undefined;
      for await (const out of sequence.evaluateWithMetadata(prompt, { probabilities: true }, { temperature: 0 })) {
        probs = out.probabilities;
        break;
      }
      assert.ok(probs);
      const top = Math.max(...probs.values());
      assert.ok(top > 5 / info.nVocab && top < 0.99, `top probability ${top}`);
    } finally {
      await context.dispose();
      await model.dispose();
    }
  });
}
