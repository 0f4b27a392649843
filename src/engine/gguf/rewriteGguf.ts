import { randomBytes } from 'node:crypto';
import { realpath, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ModelLabError, throwIfAborted } from '../errors.js';
import { dequantize } from '../quant/dequantize.js';
import { ggmlTypeTraits } from '../quant/ggmlTypes.js';
import { GgufTensorReader } from './GgufTensorReader.js';
import { GgufWriter, type TensorDataSource } from './GgufWriter.js';
import { metadataEntries } from './metadataEntries.js';
import { readGguf } from './readGguf.js';
import type { GgufFile, GgufMetadataEntry, GgufTensorInfo } from './types.js';

/** A tensor of the new file. Without `data` it is the source tensor of the same name, copied byte for byte. */
export interface RewrittenTensor {
  name: string;
  type: number;
  /** ne order */
  shape: number[];
  /** The bytes, produced when the writer reaches this tensor (so only one tensor's work is in memory at a time). */
  data?: (src: RewriteSource) => TensorDataSource;
}

/** What changes between the source and the new file. Everything not mentioned is copied as stored. */
export interface GgufRewrite {
  /** The new metadata, from the source's entries (in file order). Default: unchanged. */
  metadata?: (entries: GgufMetadataEntry[]) => GgufMetadataEntry[];
  /**
   * Called once per source tensor, in file order: undefined keeps it as stored; an array lists the tensors written
   * in its place (empty: dropped; several: split).
   */
  tensor?: (t: GgufTensorInfo) => RewrittenTensor[] | undefined;
  /** Tensors written after all the others (e.g. a new bias). */
  extraTensors?: RewrittenTensor[];
}

export interface RewriteOptions {
  signal?: AbortSignal;
  /** Fraction of the output's bytes written, in [0, 1]. */
  onProgress?: (fraction: number) => void;
  /** Bytes per read of the source (default 4 MiB): the rewriter holds about this much per tensor in flight. */
  chunkBytes?: number;
}

export interface RewriteResult {
  out: string;
  bytesIn: number;
  bytesOut: number;
  /** tensors copied in their stored bytes unchanged */
  copied: number;
  /** tensors whose bytes a transform produced */
  produced: number;
  /** the new file as our reader parsed it */
  file: GgufFile;
}

/**
 * Read access to the source file for tensor producers: whole tensors, chosen rows in their stored bytes, or rows
 * dequantized to F32 — always in chunks, never the whole model.
 */
export class RewriteSource {
  constructor(
    readonly file: GgufFile,
    private readonly reader: GgufTensorReader,
    readonly chunkBytes: number,
    private readonly signal?: AbortSignal,
  ) {}

  tensor(name: string): GgufTensorInfo {
    const t = this.file.tensors.find((x) => x.name === name);
    if (!t) throw new ModelLabError('GGUF_REWRITE_MISSING_TENSOR', `the source has no tensor '${name}'`);
    return t;
  }

  /** Bytes of one row (ne0 values) of a tensor in its stored type. */
  rowBytes(t: GgufTensorInfo): number {
    const traits = ggmlTypeTraits(t.type)!;
    return (t.shape[0] / traits.blockSize) * traits.typeSize;
  }

  /** Number of rows (product of the dimensions after ne0). */
  rowCount(t: GgufTensorInfo): number {
    return t.elements / t.shape[0];
  }

  /** The tensor's stored bytes, streamed. */
  async *all(t: GgufTensorInfo | string): AsyncIterable<Uint8Array> {
    const info = typeof t === 'string' ? this.tensor(t) : t;
    for (let done = 0; done < info.bytes; ) {
      throwIfAborted(this.signal);
      const buf = new Uint8Array(Math.min(this.chunkBytes, info.bytes - done));
      await this.reader.readInto(info.offset + done, buf, `tensor '${info.name}'`);
      done += buf.length;
      yield buf;
    }
  }

  /** The stored bytes of the listed rows, in the listed order (runs of consecutive rows are read together). */
  async *rows(t: GgufTensorInfo | string, rows: ArrayLike<number>): AsyncIterable<Uint8Array> {
    const info = typeof t === 'string' ? this.tensor(t) : t;
    const rb = this.rowBytes(info);
    const n = this.rowCount(info);
    const perChunk = Math.max(1, Math.floor(this.chunkBytes / rb));
    for (let k = 0; k < rows.length; ) {
      throwIfAborted(this.signal);
      let run = 1;
      if (rows[k] < 0 || rows[k] >= n) throw new RangeError(`row ${rows[k]} of '${info.name}' is outside [0, ${n})`);
      while (k + run < rows.length && run < perChunk && rows[k + run] === rows[k] + run) run++;
      const buf = new Uint8Array(run * rb);
      await this.reader.readInto(info.offset + rows[k] * rb, buf, `tensor '${info.name}'`);
      k += run;
      yield buf;
    }
  }

  /**
   * Rows [start, start + count) dequantized to F32, `perCall` rows at a time (default: what fits in chunkBytes
   * as F32): yields the first row index and the values [rows, ne0].
   */
  async *rowsF32(t: GgufTensorInfo | string, start = 0, count?: number, perCall?: number): AsyncIterable<{ row: number; values: Float32Array }> {
    const info = typeof t === 'string' ? this.tensor(t) : t;
    const ne0 = info.shape[0];
    const rb = this.rowBytes(info);
    const end = start + (count ?? this.rowCount(info) - start);
    const step = perCall ?? Math.max(1, Math.floor(this.chunkBytes / (4 * ne0)));
    for (let r = start; r < end; r += step) {
      throwIfAborted(this.signal);
      const m = Math.min(step, end - r);
      const buf = new Uint8Array(m * rb);
      await this.reader.readInto(info.offset + r * rb, buf, `tensor '${info.name}'`);
      yield { row: r, values: dequantize(info.type, buf, m * ne0) };
    }
  }
}

/**
 * Writes a new GGUF file from a source file, streaming tensor by tensor: tensors a transform does not touch are
 * copied in their stored bytes; the transform may change metadata and drop, split, slice or replace tensors, its
 * producers reading the source in chunks. The result is written to a temporary file beside `out`, checked by our
 * reader, then renamed over `out`; the source is never modified and `out` may not be the source.
 */
export async function rewriteGguf(srcPath: string, out: string, rewrite: GgufRewrite, opts: RewriteOptions = {}): Promise<RewriteResult> {
  const file = await readGguf(srcPath, { signal: opts.signal });
  await assertNotSameFile(srcPath, out);
  const plan: RewrittenTensor[] = [];
  for (const t of file.tensors) {
    const r = rewrite.tensor?.(t);
    plan.push(...(r ?? [{ name: t.name, type: t.type, shape: t.shape }]));
  }
  plan.push(...(rewrite.extraTensors ?? []));
  const byName = new Map(file.tensors.map((t) => [t.name, t]));
  for (const p of plan) {
    if (p.data) continue;
    const s = byName.get(p.name);
    if (!s || s.type !== p.type || s.shape.join(',') !== p.shape.join(',')) {
      throw new ModelLabError('GGUF_REWRITE_BAD_PLAN', `tensor '${p.name}' has no data producer and is not an unchanged source tensor`);
    }
  }
  const metadata = rewrite.metadata ? rewrite.metadata(metadataEntries(file)) : metadataEntries(file);

  const tmp = path.join(path.dirname(out), `.${path.basename(out)}.${process.pid}.${randomBytes(4).toString('hex')}.partial`);
  const chunkBytes = opts.chunkBytes ?? 4 << 20;
  const reader = await GgufTensorReader.open(file);
  const src = new RewriteSource(file, reader, chunkBytes, opts.signal);
  let w: GgufWriter | undefined;
  let copied = 0, produced = 0;
  try {
    w = await GgufWriter.open(tmp, { alignment: file.alignment, version: file.version, signal: opts.signal });
    for (const m of metadata) w.addMetadata(m.key, m.type, m.value, m.elementType, m.element);
    for (const p of plan) w.addTensorInfo(p.name, p.type, p.shape);
    await w.writeHeader();
    const total = plan.reduce((n, p) => n + tensorBytes(p), 0) || 1;
    let done = 0;
    for (const p of plan) {
      throwIfAborted(opts.signal);
      if (p.data) { await w.writeTensorData(p.data(src)); produced++; } else { await w.writeTensorData(src.all(byName.get(p.name)!)); copied++; }
      done += tensorBytes(p);
      opts.onProgress?.(done / total);
    }
    await w.close();
    const written = await readGguf(tmp, { signal: opts.signal });
    await rename(tmp, out);
    written.path = out;
    return { out, bytesIn: file.fileBytes, bytesOut: written.fileBytes, copied, produced, file: written };
  } catch (err) {
    await w?.abort();
    await unlink(tmp).catch(() => undefined);
    throw err;
  } finally {
    await reader.close();
  }
}

function tensorBytes(p: RewrittenTensor): number {
  const traits = ggmlTypeTraits(p.type);
  if (!traits) throw new RangeError(`tensor '${p.name}': unknown GGML type id ${p.type}`);
  return (p.shape.reduce((a, b) => a * b, 1) / traits.blockSize) * traits.typeSize;
}

/**
 * Throws ModelLabError GGUF_OUT_IS_SOURCE when `out` names the source file (the same path, a symbolic link to it, or a
 * hard link to the same file): a command checks this before it prepares an output it might clean up on failure.
 */
export async function assertNotSameFile(srcPath: string, out: string): Promise<void> {
  const same = (): ModelLabError => new ModelLabError('GGUF_OUT_IS_SOURCE', `the output ${out} is the source file itself; choose another path (the source is never modified)`);
  if (path.resolve(srcPath) === path.resolve(out)) throw same();
  const [a, b] = await Promise.all([stat(srcPath), stat(out).catch(() => undefined)]);
  if (b && a.dev === b.dev && a.ino === b.ino) throw same();
  const [ra, rb] = await Promise.all([realpath(srcPath), realpath(path.dirname(out)).catch(() => undefined)]);
  if (rb && path.join(rb, path.basename(out)) === ra) throw same();
}
