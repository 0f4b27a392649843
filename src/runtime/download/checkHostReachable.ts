// Before a download starts: can the host be resolved and does it accept a connection? node-llama-cpp's
// downloader retries a failed request with back-off for many minutes and does not take a signal while it
// prepares, so an offline machine would wait with no message. Two cheap checks with short time limits give
// the user the real reason in seconds instead.
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { AbortedError } from '../../engine/errors.js';
import { DownloadError } from '../errors.js';
import { DEFAULT_HF_ENDPOINT, type ParsedModelUri } from './parseModelUri.js';

export interface ReachableOptions {
  /** Limit for name resolution and for the TCP connect, each (ms). Default 8000. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Races `work` against a timer and the signal; the loser's result is ignored (a DNS lookup cannot be stopped). */
function limited<T>(work: Promise<T>, ms: number, onTimeout: () => Error, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => finish(() => reject(onTimeout())), ms);
    const onAbort = (): void => finish(() => reject(new AbortedError('Download cancelled')));
    const finish = (f: () => void): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      f();
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => finish(() => resolve(v)),
      (e: unknown) => finish(() => reject(e)),
    );
  });
}

function connect(host: string, port: number): { done: Promise<void>; stop: () => void } {
  const socket = net.connect({ host, port });
  const done = new Promise<void>((resolve, reject) => {
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
  return { done, stop: () => socket.destroy() };
}

/**
 * Resolves the URL's host name and opens (then closes) a TCP connection to it. Throws DownloadError
 * HOST_NOT_FOUND or HOST_UNREACHABLE with a one-line reason, AbortedError when the signal fires.
 */
export async function checkHostReachable(url: string, opts: ReachableOptions = {}): Promise<void> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port) || (u.protocol === 'https:' ? 443 : 80);
  const ms = opts.timeoutMs ?? 8000;
  const secs = `${(ms / 1000).toFixed(ms < 1000 ? 1 : 0)} s`;
  let address: string;
  try {
    address = net.isIP(host) ? host : (await limited(lookup(host), ms, () => new Error(`no answer in ${secs}`), opts.signal)).address;
  } catch (e) {
    if (e instanceof AbortedError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'the name does not resolve (no network, or no DNS)' : (e as Error).message;
    throw new DownloadError('HOST_NOT_FOUND', `Cannot reach ${host}: ${why}. Check the network connection and try again`);
  }
  const c = connect(address, port);
  try {
    await limited(c.done, ms, () => new Error(`no answer in ${secs}`), opts.signal);
  } catch (e) {
    if (e instanceof AbortedError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code ? `${code} connecting to port ${port}` : (e as Error).message;
    throw new DownloadError('HOST_UNREACHABLE', `Cannot reach ${host} (${address}): ${why}. Check the network connection and try again`);
  } finally {
    c.stop();
  }
}

/** The first host a download of `parsed` contacts: the file's own URL, or the hub that resolves `hf:user/repo:quant`. */
export function firstDownloadUrl(parsed: ParsedModelUri, hfEndpoint?: string): string {
  return parsed.kind === 'hf-repo' ? (hfEndpoint ?? DEFAULT_HF_ENDPOINT) : parsed.url;
}
