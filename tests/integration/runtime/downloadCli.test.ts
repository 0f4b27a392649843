// `model-lab download` as a user runs it: offline it ends in seconds with one line on stderr and exit 1; a
// reachable server gives the file's path (or JSON) on stdout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { bundleCli, type CliHarness } from '../cli/cliHarness.js';
import { startModelServer, type ModelServer } from './modelServer.js';
import { tempDir, testModel } from './fixtures.js';

let cli: CliHarness;
let dir: string;
let server: ModelServer;

before(async () => {
  cli = await bundleCli();
  dir = tempDir();
  const model = await testModel(dir, 'served.gguf');
  server = await startModelServer({ '/files/model.gguf': model });
});
after(async () => {
  await server?.close();
  cli?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('download of an hf: address that cannot be resolved: one line on stderr, exit 1, nothing on stdout', async () => {
  const r = await cli.run(['download', 'hf:nobody/nothing/model.gguf', '--out', path.join(dir, 'none')], { timeoutMs: 60_000 });
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^model-lab download: Cannot reach huggingface\.co: the name does not resolve/);
});

test('download --json of a reachable URL prints { path, bytes, skipped }', async () => {
  const out = path.join(dir, 'got');
  const r = await cli.run(['download', `${server.url}/files/model.gguf`, '--out', out, '--json'], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.equal(j.path, path.join(out, 'model.gguf'));
  assert.equal(j.bytes, fs.statSync(path.join(dir, 'served.gguf')).size);
  assert.equal(j.skipped, false);
});

test('download without a URI is a usage error (exit 2)', async () => {
  const r = await cli.run(['download']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /usage: model-lab download URI/);
});
