// Model downloads: node-llama-cpp's downloader (ipull) does the transfer and keeps a `.ipull` partial file that
// a later call resumes; we add the free-disk check, cancellation, throttled progress and our GGUF validation.
import { existsSync } from 'node:fs';
import { mkdir, rm, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { AbortedError } from '../../engine/errors.js';
import type { DownloadResult } from '../../protocol/runtime.js';
import { loadNodeLlamaCpp, firstLine } from '../core/initLlama.js';
import { validateModelFile } from '../core/validateModelFile.js';
import { DownloadError, ModelFileError } from '../errors.js';
import { parseModelUri } from './parseModelUri.js';

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

export async function downloadModel(opts: DownloadModelOptions): Promise<DownloadResult> {
  const parsed = parseModelUri(opts.uri, opts.hfEndpoint);
  const fileName = opts.fileName ?? (parsed.kind === 'hf-repo' ? undefined : parsed.fileName);
  if (fileName !== undefined && (fileName !== path.basename(fileName) || fileName.startsWith('.'))) {
    throw new DownloadError('BAD_MODEL_URI', `'${fileName}' is not a plain file name`);
  }
  if (opts.signal?.aborted) throw new AbortedError('Download cancelled');
  await mkdir(opts.dirPath, { recursive: true });
  const { createModelDownloader } = await loadNodeLlamaCpp();

  let last = 0;
  const interval = opts.progressIntervalMs ?? 100;
  const onProgress = (s: { totalSize: number; downloadedSize: number; averageSpeed: number }): void => {
    const now = performance.now();
    if (now - last < interval && s.downloadedSize < s.totalSize) return;
    last = now;
    opts.onProgress?.({ downloadedBytes: s.downloadedSize, totalBytes: s.totalSize, bytesPerSecond: s.averageSpeed });
  };

  let downloader: Awaited<ReturnType<typeof createModelDownloader>>;
  try {
    downloader = await createModelDownloader({
      modelUri: parsed.kind === 'hf-repo' ? opts.uri : parsed.url,
      dirPath: opts.dirPath,
      fileName,
      skipExisting: true,
      deleteTempFileOnCancel: false, // keep the partial file: the next call resumes it
      parallelDownloads: 1,
      onProgress,
      endpoints: opts.hfEndpoint ? { huggingFace: opts.hfEndpoint } : undefined,
    });
  } catch (err) {
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
  try {
    filePath = await downloader.download({ signal: opts.signal });
  } catch (err) {
    if (opts.signal?.aborted) throw new AbortedError('Download cancelled; start it again to resume where it stopped');
    await downloader.cancel({ deleteTempFile: false }).catch(() => {});
    throw new DownloadError('DOWNLOAD_FAILED', `Download of ${opts.uri} failed: ${firstLine(err)}`);
  }
  if (opts.signal?.aborted) throw new AbortedError('Download cancelled; start it again to resume where it stopped');

  try {
    await validateModelFile(filePath, opts.signal);
  } catch (err) {
    if (!(err instanceof ModelFileError)) throw err;
    // a file that cannot be a model must not sit in the models folder looking like one
    await rm(filePath, { force: true });
    throw new DownloadError('DOWNLOAD_CORRUPT', `The downloaded file is not a usable model and was deleted: ${err.message}`);
  }
  return { path: filePath, bytes: (await stat(filePath)).size, skipped: complete };
}
