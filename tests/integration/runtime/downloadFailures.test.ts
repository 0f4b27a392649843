// Downloads that cannot happen must end with a reason, not wait: a host name that does not resolve, a port that
// refuses, a server that accepts and never answers (the stall watchdog), and a cancel while the downloader is
// still preparing. Every attempt and its outcome is logged.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { downloadModel } from '../../../src/runtime/download/downloadModel.js';
import { tempDir } from './fixtures.js';

/** A TCP server that accepts connections and never sends a byte. */
async function silentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('downloadModel failures', () => {
  let dir: string;
  let silent: Awaited<ReturnType<typeof silentServer>>;

  before(async () => {
    dir = tempDir();
    silent = await silentServer();
  });
  after(async () => {
    await silent?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a host name that does not resolve fails with HOST_NOT_FOUND, logged, nothing written', async () => {
    const lines: string[] = [];
    const out = path.join(dir, 'dns');
    // .invalid never resolves (RFC 2606), with or without network
    await assert.rejects(
      downloadModel({ uri: 'https://models.invalid/files/model.gguf', dirPath: out, log: (l, m) => lines.push(`${l} ${m}`) }),
      { name: 'DownloadError', code: 'HOST_NOT_FOUND', message: /Cannot reach models\.invalid: the name does not resolve/ },
    );
    assert.ok(!fs.existsSync(out), 'no folder is created for a download that never started');
    assert.match(lines[0]!, /^info download https:\/\/models\.invalid\/files\/model\.gguf into .*: starting$/);
    assert.match(lines[1]!, /^warn download .*: failed after .*: HOST_NOT_FOUND: Cannot reach models\.invalid/);
    assert.equal(lines.length, 2);
  });

  test('hf: addresses are checked against the Hugging Face endpoint', async () => {
    await assert.rejects(downloadModel({ uri: 'hf:nobody/nothing/model.gguf', dirPath: path.join(dir, 'hf'), hfEndpoint: 'https://hub.invalid/' }), {
      code: 'HOST_NOT_FOUND',
      message: /hub\.invalid/,
    });
    await assert.rejects(downloadModel({ uri: 'hf:nobody/nothing:Q4_K_M', dirPath: path.join(dir, 'hf'), hfEndpoint: 'https://hub.invalid/' }), {
      code: 'HOST_NOT_FOUND',
    });
  });

  test('a port that refuses connections fails with HOST_UNREACHABLE', async () => {
    const port = await closedPort();
    await assert.rejects(downloadModel({ uri: `http://127.0.0.1:${port}/model.gguf`, dirPath: path.join(dir, 'refused') }), {
      name: 'DownloadError',
      code: 'HOST_UNREACHABLE',
      message: /Cannot reach 127\.0\.0\.1 .*ECONNREFUSED/,
    });
  });

  test('a server that accepts and never answers ends with DOWNLOAD_STALLED after the stall time', async () => {
    const lines: string[] = [];
    await assert.rejects(
      downloadModel({ uri: `${silent.url}/model.gguf`, dirPath: path.join(dir, 'stall'), stallTimeoutMs: 400, log: (l, m) => lines.push(`${l} ${m}`) }),
      { name: 'DownloadError', code: 'DOWNLOAD_STALLED', message: /No data from the server for 0.4 s/ },
    );
    assert.match(lines.at(-1)!, /^warn .*DOWNLOAD_STALLED/);
  });

  test('cancel while the downloader waits for the server ends the call as cancelled', async () => {
    const lines: string[] = [];
    const ac = new AbortController();
    const call = downloadModel({ uri: `${silent.url}/model.gguf`, dirPath: path.join(dir, 'cancel'), signal: ac.signal, log: (l, m) => lines.push(`${l} ${m}`) });
    // cancel once the attempt has started (its first log line is written before any network work)
    while (lines.length === 0) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    await assert.rejects(call, { name: 'AbortedError', code: 'ABORTED', message: /cancelled/ });
    assert.match(lines.at(-1)!, /^info download .*: cancelled after /);
  });
});
