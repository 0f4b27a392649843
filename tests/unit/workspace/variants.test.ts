// src/workspace: variant folders, manifests, lineage, atomic writes and the parent-hash cache, on real files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeTestModel } from '../../../src/engine/synth/index.js';
import { GgufFormatError } from '../../../src/engine/gguf/index.js';
import {
  createVariant,
  listVariants,
  newVariantId,
  openPendingVariant,
  sha256File,
  TOOL_VERSION,
  variantChildren,
  variantLineage,
  watchVariants,
  workspacePaths,
  WorkspaceError,
  writeJsonAtomic,
  type PendingVariant,
} from '../../../src/workspace/index.js';
import { clearSha256Memory } from '../../../src/workspace/sha256File.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'ml-ws-'));
const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** A base model file and an empty data folder. */
async function setUp(): Promise<{ root: string; data: string; base: string }> {
  const root = tmp();
  const base = path.join(root, 'base.gguf');
  await writeTestModel(base, { arch: 'llama', nLayer: 1 });
  return { root, data: path.join(root, '.model-lab'), base };
}

/** Stands in for a job's output: a valid GGUF at the variant's file. */
async function writeOutput(v: PendingVariant, seed = 1): Promise<void> {
  await writeTestModel(v.file, { arch: 'llama', nLayer: 1, seed });
}

test('a variant is listed only after commit; its manifest records the parent file, hash and lineage', async () => {
  const { data, base } = await setUp();
  const pruned = await createVariant(data, { kind: 'pruned', method: 'prune-ffn', parent: { file: base }, parameters: { keep: 0.7 } });
  assert.match(pruned.id, /^prune-ffn-\d{8}-\d{6}-[0-9a-f]{4}$/);
  assert.equal(pruned.file, path.join(workspacePaths(data).variants, pruned.id, 'model.gguf'));
  assert.deepEqual(pruned.parent, { file: base, sha256: sha(base), variant: null });

  let listing = await listVariants(data);
  assert.deepEqual(listing.variants, [], 'reserved, not yet a variant');
  assert.deepEqual(listing.pending.map((p) => p.id), [pruned.id]);

  await writeOutput(pruned);
  const committed = await pruned.commit({ metrics: { ppl: 12.5 } });
  assert.equal(committed.sha256, sha(pruned.file));
  assert.equal(committed.bytes, fs.statSync(pruned.file).size);
  assert.equal(committed.toolVersion, TOOL_VERSION);
  assert.deepEqual(await pruned.commit(), committed, 'commit again returns the same variant');

  const adapter = await createVariant(data, { kind: 'adapter', method: 'dpo', parent: { file: pruned.file }, dataHash: 'ab'.repeat(32) });
  assert.deepEqual(adapter.parent, { file: pruned.file, sha256: committed.sha256, variant: pruned.id }, 'a file inside variants/ is linked by id');
  assert.equal(path.basename(adapter.file), 'adapter.gguf');
  await writeOutput(adapter, 2);
  await adapter.commit();

  listing = await listVariants(data);
  assert.deepEqual(listing.pending, []);
  assert.deepEqual(listing.problems, []);
  assert.deepEqual(listing.variants.map((v) => [v.id, v.kind, v.method]).sort(), [[adapter.id, 'adapter', 'dpo'], [pruned.id, 'pruned', 'prune-ffn']].sort());
  const onDisk = JSON.parse(fs.readFileSync(path.join(adapter.dir, 'manifest.json'), 'utf8'));
  assert.deepEqual(Object.keys(onDisk).sort(), ['bytes', 'created', 'dataHash', 'file', 'id', 'kind', 'method', 'metrics', 'parameters', 'parent', 'schema', 'sha256', 'toolVersion'].sort());
  assert.equal(fs.existsSync(path.join(adapter.dir, 'pending.json')), false);

  const lineage = variantLineage(listing.variants, adapter.id)!;
  assert.deepEqual(lineage.chain.map((v) => v.id), [adapter.id, pruned.id]);
  assert.deepEqual(lineage.base, { file: base, sha256: sha(base), variant: null });
  assert.equal(lineage.complete, true);
  assert.deepEqual(variantChildren(listing.variants, { variant: pruned.id }).map((v) => v.id), [adapter.id]);
  assert.deepEqual(variantChildren(listing.variants, { file: base }).map((v) => v.id), [pruned.id]);
  assert.deepEqual(variantChildren(listing.variants, { file: '/moved/base.gguf', sha256: sha(base) }).map((v) => v.id), [pruned.id], 'a moved base is found by hash');
  assert.equal(variantLineage(listing.variants, 'nope'), null);

  const byId = await createVariant(data, { kind: 'merged', method: 'merge', parent: { variant: adapter.id } });
  assert.deepEqual(byId.parent, { file: adapter.file, sha256: sha(adapter.file), variant: adapter.id });
  await byId.abandon();
  assert.equal(fs.existsSync(byId.dir), false, 'a cancelled job leaves nothing');
  await assert.rejects(pruned.abandon(), (e: unknown) => e instanceof WorkspaceError && e.code === 'VARIANT_NOT_PENDING');
});

test('a crashed job: torn temp files and a half-written GGUF are never listed; the job resumes its reservation', async () => {
  const { data, base } = await setUp();
  const v = await createVariant(data, { kind: 'pruned', method: 'prune-ffn', parent: { file: base } });
  // The job died while writing the GGUF and while writing manifest.json through writeFileAtomic.
  fs.writeFileSync(v.file, fs.readFileSync(base).subarray(0, 4000));
  fs.writeFileSync(path.join(v.dir, `.manifest.json.1a2b3c4d.tmp`), '{"schema":1,"id":');
  const listing = await listVariants(data);
  assert.deepEqual(listing.variants, []);
  assert.deepEqual(listing.problems, []);
  assert.deepEqual(listing.pending.map((p) => p.id), [v.id]);

  // After a restart the job finds its reservation; a commit of the torn file is refused by our GGUF reader.
  const again = await openPendingVariant(data, v.id);
  assert.deepEqual(again.parent, v.parent);
  await assert.rejects(again.commit(), GgufFormatError);
  assert.deepEqual((await listVariants(data)).variants, []);
  await writeOutput(again);
  await again.commit();
  assert.deepEqual((await listVariants(data)).variants.map((x) => x.id), [v.id]);
  await assert.rejects(openPendingVariant(data, v.id), (e: unknown) => e instanceof WorkspaceError && e.code === 'VARIANT_NOT_PENDING');
  await assert.rejects(openPendingVariant(data, 'prune-ffn-20260101-000000-0000'), (e: unknown) => e instanceof WorkspaceError && e.code === 'VARIANT_NOT_FOUND');

  const missing = await createVariant(data, { kind: 'adapter', method: 'sft', parent: { variant: v.id } });
  await assert.rejects(missing.commit(), (e: unknown) => e instanceof WorkspaceError && e.code === 'VARIANT_FILE_MISSING');
});

test('writeJsonAtomic: a temp file left by a killed writer leaves the previous content readable', async () => {
  const dir = tmp();
  const file = path.join(dir, 'state.json');
  await writeJsonAtomic(file, { n: 1 });
  fs.writeFileSync(path.join(dir, '.state.json.deadbeef.tmp'), '{"n": 2, "tor');
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), { n: 1 });
  await writeJsonAtomic(file, { n: 3 });
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), { n: 3 });
  assert.deepEqual(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp')), ['.state.json.deadbeef.tmp'], 'its own temp file is gone');
});

test('malformed manifests are reported one line each, never thrown; good neighbours still list', async () => {
  const { data, base } = await setUp();
  const good = await createVariant(data, { kind: 'pruned', method: 'prune-ffn', parent: { file: base } });
  await writeOutput(good);
  const committed = await good.commit();
  const root = workspacePaths(data).variants;
  const bad = (id: string, manifest: unknown, file = 'model.gguf') => {
    fs.mkdirSync(path.join(root, id));
    fs.writeFileSync(path.join(root, id, 'manifest.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
    if (file) fs.copyFileSync(good.file, path.join(root, id, file));
  };
  const { dir: _d, path: _p, ...manifest } = committed;
  bad('not-json', '{ nope');
  bad('array', '[]');
  bad('wrong-id', { ...manifest, id: 'other' });
  bad('bad-kind', { ...manifest, id: 'bad-kind', kind: 'lora' });
  bad('bad-parent', { ...manifest, id: 'bad-parent', parent: { file: base, sha256: 'xyz', variant: null } });
  bad('self-parent', { ...manifest, id: 'self-parent', parent: { ...manifest.parent, variant: 'self-parent' } });
  bad('no-file', { ...manifest, id: 'no-file' }, '');
  bad('old-schema', { parent: base, method: 'x' });
  const listing = await listVariants(data);
  assert.deepEqual(listing.variants.map((v) => v.id), [good.id]);
  const reasons = Object.fromEntries(listing.problems.map((p) => [path.basename(p.dir), p.reason]));
  assert.deepEqual(Object.keys(reasons).sort(), ['array', 'bad-kind', 'bad-parent', 'no-file', 'not-json', 'old-schema', 'self-parent', 'wrong-id']);
  assert.match(reasons['not-json'], /not valid JSON/);
  assert.match(reasons['wrong-id'], /differs from its folder/);
  assert.match(reasons['bad-parent'], /parent\.sha256/);
  assert.match(reasons['no-file'], /model\.gguf is missing/);
  assert.match(reasons['old-schema'], /schema/);
  for (const r of Object.values(reasons)) assert.doesNotMatch(r, /\n/);
  assert.deepEqual(await listVariants(path.join(tmp(), 'none')), { variants: [], pending: [], problems: [] });
});

test('variant ids are readable, safe and unique under concurrent reservation', async () => {
  const id = newVariantId('Prune FFN / 30%', new Date(Date.UTC(2026, 11, 1, 9, 5, 7)));
  assert.match(id, /^prune-ffn-30-20261201-090507-[0-9a-f]{4}$/);
  const { data, base } = await setUp();
  const made = await Promise.all(Array.from({ length: 40 }, () => createVariant(data, { kind: 'adapter', method: 'dpo', parent: { file: base } })));
  assert.equal(new Set(made.map((v) => v.id)).size, 40);
  assert.equal(fs.readdirSync(workspacePaths(data).variants).length, 40);
  await assert.rejects(createVariant(data, { kind: 'adapter', method: 'dpo', parent: { file: path.join(data, 'missing.gguf') } }), (e: unknown) => e instanceof WorkspaceError && e.code === 'PARENT_NOT_FOUND');
  await assert.rejects(createVariant(data, { kind: 'adapter', method: 'dpo', parent: { variant: made[0].id } }), (e: unknown) => e instanceof WorkspaceError && e.code === 'VARIANT_NOT_FOUND');
});

test('sha256File: streamed hash equals the whole-file hash; cached by size and mtime, on disk across processes', async () => {
  const dir = tmp();
  const file = path.join(dir, 'big.bin');
  const bytes = new Uint8Array(3 * (1 << 20) + 17).map((_, i) => (i * 2654435761) >>> 24);
  fs.writeFileSync(file, bytes);
  const cacheDirectory = path.join(dir, 'cache');
  const expected = sha(file);
  assert.equal(await sha256File(file, { cacheDirectory }), expected);
  const cached = JSON.parse(fs.readFileSync(path.join(cacheDirectory, 'sha256.json'), 'utf8'));
  assert.equal(cached[file].sha256, expected);

  // A cache entry is trusted only while size and mtime match: plant a wrong hash, then touch the file.
  cached[file].sha256 = 'f'.repeat(64);
  fs.writeFileSync(path.join(cacheDirectory, 'sha256.json'), JSON.stringify(cached));
  clearSha256Memory();
  assert.equal(await sha256File(file, { cacheDirectory }), 'f'.repeat(64), 'the on-disk cache is what a new process reads');
  const later = new Date(Date.now() + 5000);
  fs.utimesSync(file, later, later);
  assert.equal(await sha256File(file, { cacheDirectory }), expected, 'a changed mtime means hash again');

  const ac = new AbortController();
  ac.abort();
  clearSha256Memory();
  fs.rmSync(cacheDirectory, { recursive: true });
  await assert.rejects(sha256File(file, { signal: ac.signal }), (e: unknown) => (e as Error).name === 'AbortError' || (e as Error).name === 'AbortedError');
});

test('TOOL_VERSION is package.json version', () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  assert.equal(TOOL_VERSION, JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version);
});

/** Waits for an event, failing (and so running the test's clean-up) when it has not come after 20 s. */
function eventually<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within 20 s`)), 20_000)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

test('watchVariants: told when a variant is committed or removed, also when variants/ did not exist at first', async () => {
  const { data, base } = await setUp();
  let calls = 0;
  let wake: (() => void) | null = null;
  const next = () => new Promise<void>((resolve) => (wake = resolve));
  const w = watchVariants(data, () => { calls++; wake?.(); }, { debounceMs: 50, pollMs: 50 });
  const keepAlive = setInterval(() => undefined, 1000); // the watch itself does not hold the event loop
  try {
    let told = next();
    const v = await createVariant(data, { kind: 'pruned', method: 'prune-ffn', parent: { file: base } });
    await eventually(told, 'the call for a new variants/ folder');
    await writeOutput(v);
    told = next();
    await v.commit();
    await eventually(told, 'the call for a change');
    assert.ok(calls >= 2);
    told = next();
    fs.rmSync(v.dir, { recursive: true });
    await eventually(told, 'the call for a change');
    assert.deepEqual((await listVariants(data)).variants, []);
  } finally {
    w.dispose();
    clearInterval(keepAlive);
  }
});
