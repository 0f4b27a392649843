// Model downloads: node-llama-cpp's downloader (ipull) does the transfer and keeps a `.ipull` partial file that
// a later call resumes; we add a reachability check, a stall timeout, the free-disk check, cancellation,
// throttled progress, a log line for every attempt and outcome, and our GGUF validation.
import { existsSync } from 'node:fs';
import { mkdir, rm, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { AbortedError } from '../../engine/errors.js';
import type { DownloadResult } from '../../protocol/runtime.js';
import { loadNodeLlamaCpp, firstLine } from '../core/initLlama.js';
import { validateModelFile } from '../core/validateModelFile.js';
import { DownloadError, ModelFileError } from '../errors.js';
import { parseModelUri } from './parseModelUri.js';
import { checkHostReachable, firstDownloadUrl } from './checkHostReachable.js';

export interface DownloadModelOptions {
  uri: string;
  dirPath: string;
  fileName?: string;
  hfEndpoint?: string;
  signal?: AbortSignal;
  onProgress?: (p: { downloadedBytes: number; totalBytes: number; bytesPerSecond: number }) => void;
  /** Bytes to keep free beyond the file itself. Default 64 MiB. */
  reserveBytes?: number;
  /** Progress callbacks at most this often (ms). Default 100. */
  progressIntervalMs?: number;
  /** Limit for resolving the host and for connecting to it (ms). Default 8000. */
  connectTimeoutMs?: number;
  /** Fail when no byte arrives for this long (ms), while preparing or downloading. Default 30000. */
  stallTimeoutMs?: number;
  /** Every attempt and its outcome, one line each (the runtime log). */
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
}

const PARTIAL_SUFFIX = '.ipull';

function gib(n: number): string {
  return `${(n / 2 ** 30).toFixed(2)} GiB`;
}

/** Free bytes for an unprivileged user on the file system holding `dir`. */
export async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return Number(s.bavail) * Number(s.bsize);
}

function secondsSince(t: number): string {
  return `${((performance.now() - t) / 1000).toFixed(1)} s`;
}

/**
 * Downloads a model file (resuming a partial one), checks it with our GGUF reader and returns where it is. Fails
 * in seconds when the host cannot be resolved or reached (HOST_NOT_FOUND, HOST_UNREACHABLE), after
 * `stallTimeoutMs` without a byte (DOWNLOAD_STALLED), and with AbortedError when the signal fires.
 */
export async function downloadModel(opts: DownloadModelOptions): Promise<DownloadResult> {
  const log = opts.log ?? (() => {});
  const t0 = performance.now();
  log('info', `download ${opts.uri} into ${opts.dirPath}: starting`);
  try {
    const r = await download(opts);
    log('info', `download ${opts.uri}: ${r.skipped ? 'already complete' : `done, ${r.bytes} bytes`} in ${secondsSince(t0)}: ${r.path}`);
    return r;
  } catch (err) {
    if (err instanceof AbortedError) log('info', `download ${opts.uri}: cancelled after ${secondsSince(t0)}`);
    else log('warn', `download ${opts.uri}: failed after ${secondsSince(t0)}: ${(err as { code?: string }).code ?? 'ERROR'}: ${firstLine(err)}`);
    throw err;
  }
}

async function download(opts: DownloadModelOptions): Promise<DownloadResult> {
  const parsed = parseModelUri(opts.uri, opts.hfEndpoint);
  const fileName = opts.fileName ?? (parsed.kind === 'hf-repo' ? undefined : parsed.fileName);
  if (fileName !== undefined && (fileName !== path.basename(fileName) || fileName.startsWith('.'))) {
    throw new DownloadError('BAD_MODEL_URI', `'${fileName}' is not a plain file name`);
  }
  const cancelled = (): AbortedError => new AbortedError('Download cancelled; start it again to resume where it stopped');
  if (opts.signal?.aborted) throw cancelled();
  await checkHostReachable(firstDownloadUrl(parsed, opts.hfEndpoint), {
    timeoutMs: opts.connectTimeoutMs,
    signal: opts.signal,
  });
  await mkdir(opts.dirPath, { recursive: true });
  const { createModelDownloader } = await loadNodeLlamaCpp();

  // The watchdog: node-llama-cpp's downloader retries a host that stopped answering for minutes, so "no byte for
  // stallTimeoutMs" ends the attempt (the partial file stays for a resume).
  const stallMs = opts.stallTimeoutMs ?? 30_000;
  const stall = new AbortController();
  let lastBytes: number | undefined;
  let lastByteAt = performance.now();
  const watch = setInterval(() => {
    if (performance.now() - lastByteAt > stallMs) stall.abort();
  }, Math.max(20, Math.min(1000, stallMs / 4)));
  const stalled = (): DownloadError =>
    new DownloadError('DOWNLOAD_STALLED', `No data from the server for ${Number((stallMs / 1000).toFixed(1))} s while downloading ${opts.uri}; try again later (it resumes)`);
  /** Settles with `work`, or rejects as soon as the user cancels or the watchdog fires. */
  const guarded = <T>(work: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const onUser = (): void => reject(cancelled());
      const onStall = (): void => reject(stalled());
      opts.signal?.addEventListener('abort', onUser, { once: true });
      stall.signal.addEventListener('abort', onStall, { once: true });
      if (opts.signal?.aborted) onUser();
      if (stall.signal.aborted) onStall();
      work.then(resolve, reject).finally(() => {
        opts.signal?.removeEventListener('abort', onUser);
        stall.signal.removeEventListener('abort', onStall);
      });
    });

  let last = 0;
  const interval = opts.progressIntervalMs ?? 100;
  const onProgress = (s: { totalSize: number; downloadedSize: number; averageSpeed: number }): void => {
    if (lastBytes !== undefined && s.downloadedSize > lastBytes) lastByteAt = performance.now();
    lastBytes = Math.max(lastBytes ?? 0, s.downloadedSize);
    const now = performance.now();
    if (now - last < interval && s.downloadedSize < s.totalSize) return;
    last = now;
    opts.onProgress?.({ downloadedBytes: s.downloadedSize, totalBytes: s.totalSize, bytesPerSecond: s.averageSpeed });
  };

  try {
    let downloader: Awaited<ReturnType<typeof createModelDownloader>>;
    try {
      downloader = await guarded(
        createModelDownloader({
          modelUri: parsed.kind === 'hf-repo' ? opts.uri : parsed.url,
          dirPath: opts.dirPath,
          fileName,
          skipExisting: true,
          deleteTempFileOnCancel: false, // keep the partial file: the next call resumes it
          parallelDownloads: 1,
          onProgress,
          endpoints: opts.hfEndpoint ? { huggingFace: opts.hfEndpoint } : undefined,
        }),
      );
    } catch (err) {
      if (err instanceof AbortedError || (err instanceof DownloadError && err.code === 'DOWNLOAD_STALLED')) throw err;
      throw new DownloadError('DOWNLOAD_FAILED', `Could not start the download of ${opts.uri}: ${firstLine(err)}`);
    }

    const target = downloader.entrypointFilePath;
    const partial = target + PARTIAL_SUFFIX;
    const total = downloader.totalSize;
    const complete = existsSync(target) && !existsSync(partial) && total > 0 && (await stat(target)).size === total;
    if (!complete && total > 0) {
      const have = existsSync(partial) ? Math.min((await stat(partial)).size, total) : 0;
      const need = total - have + (opts.reserveBytes ?? 64 * 2 ** 20);
      const free = await freeBytes(opts.dirPath);
      if (free < need) {
        await downloader.cancel({ deleteTempFile: false });
        throw new DownloadError('DISK_FULL', `Not enough disk space in ${opts.dirPath}: the model needs ${gib(need)} more, ${gib(free)} is free`);
      }
    }

    let filePath: string;
    lastByteAt = performance.now();
    const signals = [stall.signal, ...(opts.signal ? [opts.signal] : [])];
    const transfer = downloader.download({ signal: AbortSignal.any(signals) });
    try {
      filePath = await guarded(transfer);
    } catch (err) {
      // let the downloader write its partial file (the resume point) before we answer, a few seconds at most
      await Promise.race([transfer.catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
      await downloader.cancel({ deleteTempFile: false }).catch(() => {});
      if (opts.signal?.aborted) throw cancelled();
      if (stall.signal.aborted) throw stalled();
      throw new DownloadError('DOWNLOAD_FAILED', `Download of ${opts.uri} failed: ${firstLine(err)}`);
    }
    if (opts.signal?.aborted) throw cancelled();
    clearInterval(watch);

    try {
      await validateModelFile(filePath, opts.signal);
    } catch (err) {
      if (!(err instanceof ModelFileError)) throw err;
      // a file that cannot be a model must not sit in the models folder looking like one
      await rm(filePath, { force: true });
      throw new DownloadError('DOWNLOAD_CORRUPT', `The downloaded file is not a usable model and was deleted: ${err.message}`);
    }
    return { path: filePath, bytes: (await stat(filePath)).size, skipped: complete };
  } finally {
    clearInterval(watch);
  }
}
