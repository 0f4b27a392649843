import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

// Node ≥ 22 (and VS Code's newer hosts) validate kernels-relaxed.wasm and get fused multiply-add and 8-bit dot
// product kernels by default; Node 20 only with a flag. Run that variant in a child with the flag and check it against the reference.
test('the relaxed-SIMD kernels (fused multiply-add, i8 dot products) match the reference where the runtime has them', () => {
  execFileSync(process.execPath, [path.join(root, 'src/engine/kernels/wasm/build.mjs')], { stdio: 'inherit' });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  try {
    const script = path.join(dir, 'relaxed.mts');
    const kernels = pathToFileURL(path.join(root, 'src/engine/kernels/index.ts')).href;
    const weights = pathToFileURL(path.join(root, 'tests/unit/kernels/randomWeights.ts')).href;
    writeFileSync(script, `
      import { createReferenceBackend, createWasmBackend, KERNEL_TYPES as T } from ${JSON.stringify(kernels)};
      import { randomVector, randomWeight } from ${JSON.stringify(weights)};
      const be = await createWasmBackend({ threads: 2, simd: 'relaxed', parallelThreshold: 0 });
      const ref = createReferenceBackend();
      let worst = 0;
      for (const [type, cols] of [[T.F32, 300], [T.Q4_K, 512], [T.Q6_K, 256], [T.Q8_0, 96]]) {
        const bytes = randomWeight(type, cols, 37, type + 1);
        const w = be.uploadWeight(type, bytes, cols, 37), wr = ref.uploadWeight(type, bytes, cols, 37);
        for (const m of [1, 17]) {
          const x = randomVector(m * cols, m);
          const a = be.matmul(x, w, m), b = ref.matmul(x, wr, m);
          const scale = Math.max(...b.map(Math.abs), 1);
          for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / scale);
        }
      }
      // 8-bit activations and the relaxed i8 dot (unsigned 7-bit weights with offsets; Q8_0 on the 16-bit dot)
      for (const [type, cols] of [[T.Q8_0, 1088], [T.Q4_0, 96], [T.Q4_K, 1280], [T.Q5_K, 256], [T.Q6_K, 512]]) {
        const bytes = randomWeight(type, cols, 37, type + 7);
        const w = be.uploadWeight(type, bytes, cols, 37), wr = ref.uploadWeight(type, bytes, cols, 37);
        for (const m of [1, 6, 70]) {
          const x = randomVector(m * cols, m + type);
          const a = be.matmulRounded(x, w, m), b = ref.matmulRounded(x, wr, m);
          const scale = Math.max(...b.map(Math.abs), 1);
          for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / scale);
        }
      }
      const s = randomVector(40 * 40, 9).map((v) => v * 20), sr = s.slice();
      be.softmax(s, 40, 40, true); ref.softmax(sr, 40, 40, true);
      for (let i = 0; i < s.length; i++) worst = Math.max(worst, Math.abs(s[i] - sr[i]));
      console.log(JSON.stringify({ name: be.name, worst }));
      be.dispose();
    `);
    const flag = Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-wasm-relaxed-simd'] : [];
    const out = execFileSync(process.execPath, [...flag, '--import', 'tsx', script],
      { cwd: root, encoding: 'utf8', timeout: 120_000 });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { name: string; worst: number };
    assert.equal(r.name, 'wasm-simd-fma');
    assert.ok(r.worst < 1e-5, `worst relative error ${r.worst}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
