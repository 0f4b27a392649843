// The preference store's promises under real processes and real files: a writer killed with SIGKILL in the middle
// of thousands of appends loses no acknowledged record and leaves a file that parses; two processes appending at
// once interleave whole lines only; a torn last line and malformed lines are reported with their line numbers and
// moved aside, never dropped; a dead writer's lock is taken over.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PreferenceStore, withFileLock } from '../../../src/workspace/preferences/index.js';

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'storeWriterChild.ts');

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ml-prefs-'));
}

function startWriter(file: string, writer: string, count: number): { proc: ChildProcess; acks: number[]; done: Promise<number | null> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', child, file, writer, String(count)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acks: number[] = [];
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) if (l.startsWith('ack ')) acks.push(Number(l.slice(4)));
  });
  const done = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, acks, done };
}

/** Every line of the file is complete JSON. */
function assertParses(file: string): unknown[] {
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), 'the file ends with a whole line');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as unknown;
      } catch {
        assert.fail(`line ${i + 1} is not JSON: ${l.slice(0, 80)}`);
      }
    });
}

describe('preference store', () => {
  test('a writer killed with SIGKILL during thousands of appends loses no acknowledged record', async () => {
    const dir = tempDir();
    try {
      const file = path.join(dir, 'preferences.jsonl');
      const w = startWriter(file, 'w', 100_000);
      // Kill once well over a thousand appends are acknowledged, at whatever point of an append the child is in.
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (w.acks.length >= 1500) {
            clearInterval(timer);
            w.proc.kill('SIGKILL');
            resolve();
          }
        }, 5);
      });
      await w.done;
      const acked = [...w.acks];
      assert.ok(acked.length >= 1500);
      const store = await PreferenceStore.open(file, { lock: { waitMs: 5000 } });
      const snap = await store.read();
      assert.deepEqual(snap.problems, []);
      assert.equal(snap.pendingTail, false);
      const ids = new Set(snap.records.map((r) => r.id));
      for (const seq of acked) assert.ok(ids.has(`w-${seq}`), `acknowledged record w-${seq} is in the store`);
      // At most the one append in flight at the kill landed without its acknowledgement.
      assert.ok(snap.records.length - acked.length <= 1, `${snap.records.length} records for ${acked.length} acks`);
      assert.deepEqual(snap.records.map((r) => r.id), snap.records.map((_, i) => `w-${i}`), 'records are in append order, none missing');
      assertParses(file);
      assert.ok(!fs.existsSync(`${file}.lock`), 'the killed writer\'s lock was taken over and released');
      await store.addComparison({ prompt: { text: 'after the crash' }, candidates: [{ id: 'a', text: 'ok' }], ranking: [['a']] });
      assert.equal((await store.read()).records.length, snap.records.length + 1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('two processes appending at once: no interleaved or lost line', async () => {
    const dir = tempDir();
    try {
      const file = path.join(dir, 'preferences.jsonl');
      const n = 800;
      const a = startWriter(file, 'a', n);
      const b = startWriter(file, 'b', n);
      assert.deepEqual(await Promise.all([a.done, b.done]), [0, 0]);
      assert.equal(a.acks.length, n);
      assert.equal(b.acks.length, n);
      const lines = assertParses(file);
      assert.equal(lines.length, 2 * n);
      const snap = await (await PreferenceStore.open(file)).read();
      assert.deepEqual(snap.problems, []);
      for (const w of ['a', 'b']) {
        const seqs = snap.records.filter((r) => r.id.startsWith(`${w}-`)).map((r) => Number(r.id.slice(2)));
        assert.deepEqual(seqs, Array.from({ length: n }, (_, i) => i), `writer ${w}: every record, in its own order`);
      }
      // The two writers really overlapped: their lines alternate somewhere in the file.
      const owners = snap.records.map((r) => r.id[0]);
      const switches = owners.filter((o, i) => i > 0 && o !== owners[i - 1]).length;
      assert.ok(switches > 1, `writers interleaved by whole lines (${switches} switches)`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a torn last line and malformed lines are reported with their line numbers and moved aside', async () => {
    const dir = tempDir();
    try {
      const file = path.join(dir, 'preferences.jsonl');
      const store = await PreferenceStore.open(file);
      const made = [];
      for (let i = 0; i < 3; i++) made.push(await store.addComparison({ prompt: { text: `p${i}` }, candidates: [{ id: 'a', text: `t${i}` }, { id: 'b', text: `u${i}` }], ranking: [['a'], ['b']] }));
      const good = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
      const schemaBad = JSON.stringify({ ...made[0], id: 'other', ranking: [['zz']] });
      const newer = JSON.stringify({ ...made[0], id: 'future', schema: 99 });
      // line 1 good, 2 garbage, 3 good, 4 schema-invalid JSON, 5 NULs (a power cut), 6 newer schema, 7 good, 8 torn
      const torn = good[2].slice(0, 40);
      fs.writeFileSync(file, [good[0], '{"kind": "comparison", oops', good[1], schemaBad, '\0\0\0\0', newer, good[2]].join('\n') + '\n' + torn);

      const reopened = await PreferenceStore.open(file);
      const r = reopened.recovery!;
      assert.ok(r, 'the repair is reported');
      assert.equal(r.tornBytes, Buffer.byteLength(torn));
      assert.deepEqual(r.moved.map((m) => m.line), [2, 5, 8]);
      assert.match(r.moved[2].error, /torn last line/);
      // Moved aside byte for byte, not dropped.
      assert.equal(fs.readFileSync(r.corruptPath, 'utf8'), ['{"kind": "comparison", oops', '\0\0\0\0', torn].join('\n') + '\n');

      const snap = await reopened.read();
      assert.deepEqual(snap.records.map((x) => x.id), made.map((m) => m.id));
      // JSON lines that fail the schema stay in the file (a newer Model Lab may read them) and are reported each read.
      assert.deepEqual(snap.problems.map((p) => p.line), [3, 4]);
      assert.match(snap.problems[0].error, /ranking: unknown candidate "zz"/);
      assert.match(snap.problems[1].error, /schema 99 is newer/);
      assert.equal((await PreferenceStore.open(file)).recovery, null, 'a repaired file opens clean');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('edits and deletes are appended events: the file only grows and undo is one more event', async () => {
    const dir = tempDir();
    try {
      const store = await PreferenceStore.openInDataDir(dir);
      const rec = await store.addComparison({ prompt: { text: 'p' }, candidates: [{ id: 'a', text: 'x' }, { id: 'b', text: 'y' }], ranking: [['a'], ['b']] });
      await store.revise({ ...rec, ranking: [['b'], ['a']], rationale: 'b is shorter' });
      let snap = await store.read();
      assert.deepEqual(snap.records.length === 1 && snap.records[0].kind === 'comparison' ? snap.records[0].ranking : null, [['b'], ['a']]);
      await store.delete(rec.id);
      assert.equal((await store.read()).records.length, 0);
      await store.restore(rec.id);
      snap = await store.read();
      assert.equal(snap.records.length, 1);
      assert.equal(snap.events, 4);
      await assert.rejects(store.delete('nope'), { code: 'STORE_UNKNOWN_RECORD' });
      await assert.rejects(store.append({ ...rec, candidates: [] }), { code: 'STORE_INVALID_EVENT' });
      assert.equal(fs.readFileSync(path.join(dir, 'preferences.jsonl'), 'utf8').split('\n').length - 1, 4, 'nothing written by a refused append');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a lock held by a live process waits, then fails with who holds it; a dead holder\'s lock is taken over', async () => {
    const dir = tempDir();
    try {
      const file = path.join(dir, 'preferences.jsonl');
      const store = await PreferenceStore.open(file, { lock: { waitMs: 300 } });
      // A live holder (this process, in another critical section): the append gives up with STORE_LOCKED.
      await withFileLock(file, async () => {
        await assert.rejects(store.addFeedback({ prompt: { text: 'p' }, response: { id: 'r', text: 'x' }, reward: 1 }), (err: Error & { code?: string }) => {
          assert.equal(err.code, 'STORE_LOCKED');
          assert.match(err.message, new RegExp(`process ${process.pid} on `));
          return true;
        });
      });
      // A lock left by a process that no longer exists.
      const dead = spawn(process.execPath, ['-e', '']);
      const deadPid = await new Promise<number>((resolve) => dead.on('exit', () => resolve(dead.pid!)));
      fs.writeFileSync(`${file}.lock`, JSON.stringify({ pid: deadPid, host: os.hostname(), time: new Date().toISOString(), token: 'x' }));
      await store.addFeedback({ prompt: { text: 'p' }, response: { id: 'r', text: 'x' }, reward: -1 });
      assert.equal((await store.read()).records.length, 1);
      assert.ok(!fs.existsSync(`${file}.lock`));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
