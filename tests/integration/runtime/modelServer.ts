// A local HTTP server for download tests (no network here): serves files with HEAD, byte ranges and an optional
// throttle, and records each request so tests can see a resume ask for the missing range only.
import http from 'node:http';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';

export interface ServedRequest {
  method: string;
  url: string;
  range?: string;
}

export interface ModelServer {
  url: string;
  requests: ServedRequest[];
  /** bytes per 10 ms when set (slow enough to cancel mid-way) */
  throttle?: number;
  close(): Promise<void>;
}

export async function startModelServer(routes: Record<string, string>): Promise<ModelServer> {
  const requests: ServedRequest[] = [];
  const state: { throttle?: number } = {};
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push({ method: req.method ?? '', url: url.pathname, range: req.headers.range });
    const file = routes[url.pathname];
    if (!file) {
      res.writeHead(404).end('not found');
      return;
    }
    const data = fs.readFileSync(file);
    let start = 0;
    let end = data.length - 1;
    const m = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? '');
    if (m) {
      start = m[1] ? Number(m[1]) : 0;
      end = m[2] ? Math.min(Number(m[2]), end) : end;
    }
    const headers = { 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream', 'content-length': String(end - start + 1) };
    if (m) res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${data.length}` });
    else res.writeHead(200, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const body = data.subarray(start, end + 1);
    if (!state.throttle) {
      res.end(body);
      return;
    }
    let at = 0;
    const step = (): void => {
      if (res.destroyed) return;
      const chunk = body.subarray(at, at + state.throttle!);
      at += chunk.length;
      if (at >= body.length) res.end(chunk);
      else res.write(chunk, () => setTimeout(step, 10));
    };
    step();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get throttle() {
      return state.throttle;
    },
    set throttle(v) {
      state.throttle = v;
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
