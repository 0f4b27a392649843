import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateMemory } from '../../../src/host/inspect/estimateMemory.js';

// 2 blocks of 100 + 10 bytes, embedding 1000, output 500, output_norm 4.
const shape = {
  nLayer: 2,
  nHeadKv: 4,
  headDim: 8,
  tensors: [
    { name: 'token_embd.weight', bytes: 1000 },
    { name: 'blk.0.attn_q.weight', bytes: 100 },
    { name: 'blk.0.attn_norm.weight', bytes: 10 },
    { name: 'blk.1.attn_q.weight', bytes: 100 },
    { name: 'blk.1.attn_norm.weight', bytes: 10 },
    { name: 'output_norm.weight', bytes: 4 },
    { name: 'output.weight', bytes: 500 },
  ],
};
// KV per layer per token: 2 (K,V) × 4 heads × 8 dims × 2 bytes (F16) = 128 bytes.

test('CPU only: every weight and the whole KV cache on the CPU', () => {
  const e = estimateMemory(shape, 100, 0);
  assert.deepEqual(e.weights, { cpuBytes: 1724, gpuBytes: 0 });
  assert.deepEqual(e.kvCache, { cpuBytes: 2 * 128 * 100, gpuBytes: 0, bytesPerToken: 256 });
  assert.equal(e.totalCpuBytes, 1724 + 25600);
  assert.equal(e.totalGpuBytes, 0);
});

test('one GPU layer offloads the LAST block and its KV cache', () => {
  const e = estimateMemory(shape, 100, 1);
  assert.deepEqual(e.weights, { cpuBytes: 1724 - 110, gpuBytes: 110 });
  assert.deepEqual([e.kvCache.cpuBytes, e.kvCache.gpuBytes], [12800, 12800]);
});

test('all blocks on the GPU keep the output layer on the CPU until gpuLayers exceeds the block count', () => {
  const all = estimateMemory(shape, 10, 2);
  assert.deepEqual(all.weights, { cpuBytes: 1504, gpuBytes: 220 });
  const plusOutput = estimateMemory(shape, 10, 3);
  assert.deepEqual(plusOutput.weights, { cpuBytes: 1000, gpuBytes: 724 });
  assert.equal(plusOutput.kvCache.gpuBytes, 2 * 128 * 10);
  const clamped = estimateMemory(shape, 10, 99);
  assert.equal(clamped.gpuLayers, 3);
  assert.deepEqual(clamped.weights, plusOutput.weights);
});

test('Phi-3-mini KV cache at 4096 tokens is 1.5 GiB in F16', () => {
  // 32 layers × 2 × 32 KV heads × 96 dims × 2 bytes × 4096 tokens = 1 610 612 736 bytes
  const e = estimateMemory({ nLayer: 32, nHeadKv: 32, headDim: 96, tensors: [] }, 4096, 0);
  assert.equal(e.kvCache.cpuBytes, 1_610_612_736);
  assert.equal(e.kvCache.bytesPerToken, 393_216);
});
