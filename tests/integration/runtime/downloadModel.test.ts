// Model downloads against a local HTTP server (no network here): progress, cancel, resume to a byte-identical
// file, hf: addresses through an endpoint override, corrupt downloads, the free-disk check.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { downloadModel } from '../../../src/runtime/download/downloadModel.js';
import { startModelServer, type ModelServer } from './modelServer.js';
import { tempDir, testModel } from './fixtures.js';

describe('downloadModel', () => {
  let dir: string;
  let model: string;
  let server: ModelServer;

  before(async () => {
    dir = tempDir();
    // larger than two of the downloader's 5 MiB chunks, so a cancelled download has whole chunks to keep
    model = await testModel(dir, 'source.gguf', { nEmbd: 512, nFf: 1024, nLayer: 1 });
    const junk = path.join(dir, 'junk.bin');
    fs.writeFileSync(junk, Buffer.alloc(200_000, 7));
    const cut = path.join(dir, 'cut.gguf');
    fs.writeFileSync(cut, fs.readFileSync(model).subarray(0, 3_000_000));
    const manifest = path.join(dir, 'manifest.json');
    fs.writeFileSync(manifest, JSON.stringify({ ggufFile: { rfilename: 'tiny-Q4_K_M.gguf' } }));
    server = await startModelServer({
      '/v2/acme/tiny-GGUF/manifests/Q4_K_M': manifest,
      '/acme/tiny-GGUF/resolve/main/tiny-Q4_K_M.gguf': model,
      '/files/model.gguf': model,
      '/files/junk.gguf': junk,
      '/files/cut.gguf': cut,
      '/acme/tiny-GGUF/resolve/main/weights/tiny-q4.gguf': model,
      '/acme/tiny-GGUF/resolve/dev/tiny-q4.gguf': model,
    });
  });
  after(async () => {
    await server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('cancel mid-way keeps a partial file; the next call resumes it to a byte-identical model', async () => {
    const out = path.join(dir, 'resume');
    const size = fs.statSync(model).size;
    server.throttle = 128 * 1024;
    const ac = new AbortController();
    const seen: number[] = [];
    await assert.rejects(
      downloadModel({
        uri: `${server.url}/files/model.gguf`,
        dirPath: out,
        signal: ac.signal,
        progressIntervalMs: 0,
        onProgress: (p) => {
          seen.push(p.downloadedBytes);
          assert.equal(p.totalBytes, size);
          if (p.downloadedBytes > size / 2) ac.abort();
        },
      }),
      { name: 'AbortedError', code: 'ABORTED' },
    );
    assert.ok(seen.length > 1);
    assert.ok(seen.every((b) => b <= size));
    assert.ok(!fs.existsSync(path.join(out, 'model.gguf')));
    assert.ok(fs.existsSync(path.join(out, 'model.gguf.ipull')), 'the partial file stays for a resume');

    server.throttle = undefined;
    const before = server.requests.length;
    let last = 0;
    const r = await downloadModel({ uri: `${server.url}/files/model.gguf`, dirPath: out, onProgress: (p) => (last = p.downloadedBytes) });
    assert.equal(r.path, path.join(out, 'model.gguf'));
    assert.equal(r.bytes, size);
    assert.equal(r.skipped, false);
    assert.equal(last, size);
    assert.ok(fs.readFileSync(r.path).equals(fs.readFileSync(model)), 'byte-identical');
    assert.ok(!fs.existsSync(path.join(out, 'model.gguf.ipull')));
    // the resume asked only for what was missing
    const ranged = server.requests.slice(before).filter((q) => q.range).map((q) => /bytes=(\d+)-(\d+)/.exec(q.range!)!);
    const asked = ranged.reduce((s, m) => s + Number(m[2]) - Number(m[1]) + 1, 0);
    assert.ok(asked > 0 && asked < size, `resumed ${asked} of ${size} bytes`);

    const again = await downloadModel({ uri: `${server.url}/files/model.gguf`, dirPath: out });
    assert.equal(again.skipped, true);
  });

  test('hf: addresses resolve through the Hugging Face endpoint (here the local server)', async () => {
    const out = path.join(dir, 'hf');
    const r = await downloadModel({ uri: 'hf:acme/tiny-GGUF/weights/tiny-q4.gguf', dirPath: out, hfEndpoint: `${server.url}/` });
    assert.equal(path.basename(r.path), 'tiny-q4.gguf');
    assert.ok(fs.readFileSync(r.path).equals(fs.readFileSync(model)));
    const b = await downloadModel({ uri: 'hf:acme/tiny-GGUF/tiny-q4.gguf#dev', dirPath: path.join(dir, 'hf-dev'), hfEndpoint: server.url });
    assert.equal(b.bytes, fs.statSync(model).size);
    assert.ok(server.requests.some((q) => q.url === '/acme/tiny-GGUF/resolve/dev/tiny-q4.gguf'));
  });

  test('hf:user/repo:quant asks the hub manifest which file to fetch', async () => {
    const r = await downloadModel({ uri: 'hf:acme/tiny-GGUF:Q4_K_M', dirPath: path.join(dir, 'hf-quant'), hfEndpoint: `${server.url}/` });
    assert.ok(fs.readFileSync(r.path).equals(fs.readFileSync(model)));
    assert.match(path.basename(r.path), /Q4_K_M\.gguf$/);
    assert.ok(server.requests.some((q) => q.url === '/v2/acme/tiny-GGUF/manifests/Q4_K_M'));
  });

  test('a download that is not a valid model is deleted with a clear error', async () => {
    const out = path.join(dir, 'corrupt');
    await assert.rejects(downloadModel({ uri: `${server.url}/files/junk.gguf`, dirPath: out }), {
      name: 'DownloadError',
      code: 'DOWNLOAD_CORRUPT',
      message: /not a usable model.*not a GGUF file/,
    });
    await assert.rejects(downloadModel({ uri: `${server.url}/files/cut.gguf`, dirPath: out }), { code: 'DOWNLOAD_CORRUPT' });
    assert.deepEqual(fs.readdirSync(out), []);
  });

  test('missing files, bad addresses and a full disk fail before anything is written', async () => {
    const out = path.join(dir, 'fail');
    await assert.rejects(downloadModel({ uri: `${server.url}/files/none.gguf`, dirPath: out }), { code: 'DOWNLOAD_FAILED' });
    await assert.rejects(downloadModel({ uri: 'ftp://example.com/x.gguf', dirPath: out }), { code: 'BAD_MODEL_URI' });
    await assert.rejects(downloadModel({ uri: 'hf:acme/tiny-GGUF/readme.md', dirPath: out }), { code: 'BAD_MODEL_URI' });
    await assert.rejects(
      downloadModel({ uri: `${server.url}/files/model.gguf`, dirPath: out, reserveBytes: Number.MAX_SAFE_INTEGER }),
      { code: 'DISK_FULL', message: /Not enough disk space/ },
    );
    assert.ok(!fs.existsSync(path.join(out, 'model.gguf')));
  });
});
