import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCheckpoint, saveCheckpoint, TokenWindows, type Checkpoint } from '../../../src/engine/train/index.js';

test('a checkpoint round-trips exactly; a torn or foreign file is refused with a clear error', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  try {
    const file = path.join(dir, 'checkpoint.bin');
    assert.equal(loadCheckpoint(file), null);
    const ck: Checkpoint = {
      meta: { step: 7, cursor: 28, optimizerT: 7, runHash: 'abc', params: [{ name: 'w', length: 3 }, { name: 'n', length: 2 }] },
      data: [Float32Array.of(1, -2, 3.5), Float32Array.of(0.25, 1e-8)],
      m: [Float32Array.of(0.1, 0.2, 0.3), Float32Array.of(-1, 1)],
      v: [Float32Array.of(1e-3, 2e-3, 3e-3), Float32Array.of(4, 5)],
    };
    saveCheckpoint(file, ck);
    assert.ok(!fs.existsSync(`${file}.tmp`));
    assert.deepEqual(loadCheckpoint(file), ck);
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 4));
    assert.throws(() => loadCheckpoint(file), { code: 'CHECKPOINT_CORRUPT' });
    fs.writeFileSync(file, 'not a checkpoint at all');
    assert.throws(() => loadCheckpoint(file), { code: 'CHECKPOINT_CORRUPT' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('training windows start with BOS, cover every piece once per epoch, and reshuffle each epoch', () => {
  const stream = Int32Array.from({ length: 100 }, (_, i) => 10 + i);
  const w = new TokenWindows(stream, 11, 1, 42); // 10 tokens per window → 10 windows
  assert.equal(w.count, 10);
  const epoch = (e: number): number[] => Array.from({ length: 10 }, (_, i) => w.window(e * 10 + i)[1]!);
  const first = epoch(0);
  assert.deepEqual([...first].sort((a, b) => a - b), [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  assert.notDeepEqual(epoch(1), first);
  const win = w.window(3);
  assert.equal(win.length, 11);
  assert.equal(win[0], 1);
  assert.deepEqual(Array.from(win.subarray(1)), Array.from({ length: 10 }, (_, i) => win[1]! + i));
  // Same seed, same order — a resumed run sees the same batches.
  assert.deepEqual(Array.from(new TokenWindows(stream, 11, 1, 42).window(13)), Array.from(w.window(13)));
  assert.deepEqual(w.firstWindows(2).map((x) => x[1]), [10, 20]);
});
