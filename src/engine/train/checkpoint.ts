import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync, existsSync } from 'node:fs';
import { ModelLabError } from '../errors.js';

/** What a training checkpoint holds besides the arrays. */
export interface CheckpointMeta {
  step: number;
  /** Windows consumed (TokenWindows cursor). */
  cursor: number;
  /** AdamW step count. */
  optimizerT: number;
  /** Hash of config + data: a checkpoint only resumes the run that wrote it. */
  runHash: string;
  /** Parameter names and lengths, in the order of the arrays. */
  params: Array<{ name: string; length: number }>;
}

export interface Checkpoint {
  meta: CheckpointMeta;
  /** Per parameter: weights, AdamW first and second moments. */
  data: Float32Array[];
  m: Float32Array[];
  v: Float32Array[];
}

export class CheckpointError extends ModelLabError {
  override name = 'CheckpointError';
}

const MAGIC = 0x4b434c4d; // "MLCK"
const VERSION = 1;

/**
 * Writes a checkpoint atomically: everything goes to `<path>.tmp`, is flushed to disk, and only then renamed over
 * `path`, so a crash at any moment leaves either the previous checkpoint or the new one, never a torn file.
 * Layout: magic, version, JSON length (u32 each), JSON meta, zero padding to 4 bytes, then the F32 arrays
 * (all weights, then all first moments, then all second moments) little-endian.
 */
export function saveCheckpoint(path: string, ck: Checkpoint): void {
  const json = new TextEncoder().encode(JSON.stringify(ck.meta));
  const pad = (4 - ((12 + json.length) % 4)) % 4;
  const head = new Uint8Array(12 + json.length + pad);
  const dv = new DataView(head.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, VERSION, true);
  dv.setUint32(8, json.length, true);
  head.set(json, 12);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, head);
    for (const group of [ck.data, ck.m, ck.v]) {
      for (const a of group) writeSync(fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export function loadCheckpoint(path: string): Checkpoint | null {
  if (!existsSync(path)) return null;
  const buf = readFileSync(path);
  const bad = (why: string): never => {
    throw new CheckpointError('CHECKPOINT_CORRUPT', `Checkpoint ${path} is unreadable (${why}); delete it to start the run over.`);
  };
  if (buf.length < 12) bad('too short');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) bad('not a checkpoint');
  if (dv.getUint32(4, true) !== VERSION) bad('unknown version');
  const jsonLen = dv.getUint32(8, true);
  if (12 + jsonLen > buf.length) bad('truncated header');
  const meta = JSON.parse(new TextDecoder().decode(buf.subarray(12, 12 + jsonLen))) as CheckpointMeta;
  let off = 12 + jsonLen + ((4 - ((12 + jsonLen) % 4)) % 4);
  const total = meta.params.reduce((s, p) => s + p.length, 0);
  if (off + total * 4 * 3 !== buf.length) bad('size does not match its parameter list');
  const take = (): Float32Array[] =>
    meta.params.map((p) => {
      // Copy: Buffer memory may be pooled and unaligned.
      const a = new Float32Array(p.length);
      new Uint8Array(a.buffer).set(buf.subarray(off, off + p.length * 4));
      off += p.length * 4;
      return a;
    });
  const data = take();
  const m = take();
  const v = take();
  return { meta, data, m, v };
}
