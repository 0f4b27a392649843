// A process killed with SIGKILL in the middle of writing: what it leaves behind is never half a manifest or half a
// variant. The writer is a real child process that rewrites a file with writeJsonAtomic in a loop, and reserves
// and commits variants, until it is killed at a moment of its own choosing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { listVariants } from '../../../src/workspace/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const ws = pathToFileURL(path.join(root, 'src/workspace/index.ts')).href;
const synth = pathToFileURL(path.join(root, 'src/engine/synth/index.ts')).href;

// The child: writes state.json (a few MB, so the kill often lands mid-write) and makes variants, saying "tick"
// after each round; the parent kills it after a few ticks.
const child = `
import { writeJsonAtomic, createVariant } from '${ws}';
import { writeTestModel } from '${synth}';
import path from 'node:path';
const [dir, base] = process.argv.slice(2);
const data = path.join(dir, 'data');
const big = Array.from({ length: 200000 }, (_, i) => i);
for (let n = 0; ; n++) {
  await writeJsonAtomic(path.join(dir, 'state.json'), { n, big });
  const v = await createVariant(data, { kind: 'pruned', method: 'prune-ffn', parent: { file: base } });
  await writeTestModel(v.file, { arch: 'llama', nLayer: 1, seed: n });
  if (n % 2 === 0) await v.commit({ metrics: { n } });
  process.stdout.write('tick\\n');
}
`;

test('SIGKILL mid-write: the last complete state.json survives, every listed variant is whole, unfinished ones are pending', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-kill-'));
  const base = path.join(dir, 'base.gguf');
  const { writeTestModel } = await import('../../../src/engine/synth/index.js');
  await writeTestModel(base, { arch: 'llama', nLayer: 1 });
  const script = path.join(dir, 'writer.mts');
  fs.writeFileSync(script, child);
  try {
    const p = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), script, dir, base], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => p.on('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      let ticks = 0;
      p.stdout.on('data', (d: Buffer) => {
        ticks += String(d).split('tick').length - 1;
        // Kill at the next write after the fifth round, wherever the child is then.
        if (ticks >= 5) resolve();
      });
      p.on('exit', () => reject(new Error(`writer ended by itself: ${stderr}`)));
    });
    p.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');

    const state = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8'));
    assert.ok(state.n >= 4 && state.big.length === 200000, 'state.json is one complete version');

    const listing = await listVariants(path.join(dir, 'data'));
    assert.deepEqual(listing.problems, []);
    assert.ok(listing.variants.length >= 3);
    for (const v of listing.variants) {
      assert.equal(fs.statSync(v.path).size, v.bytes);
      assert.equal(v.metrics.n !== undefined && (v.metrics.n as number) % 2, 0, 'only committed variants are listed');
    }
    assert.ok(listing.pending.length >= 2, 'reserved but never committed folders are pending, not variants');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
