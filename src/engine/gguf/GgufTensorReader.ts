import { open, type FileHandle } from 'node:fs/promises';
import { GgufFormatError } from './GgufFormatError.js';
import type { GgufFile, GgufTensorInfo } from './types.js';

/**
 * Reads tensors of one GGUF file through a single open file handle: for loading many tensors (a whole model),
 * where opening the file per tensor would cost more than the reads. Close it when done.
 */
export class GgufTensorReader {
  private constructor(
    readonly file: GgufFile,
    private fh: FileHandle | undefined,
  ) {}

  static async open(file: GgufFile): Promise<GgufTensorReader> {
    if (!file.path) throw new Error('GgufTensorReader needs a GgufFile read from a path (readGguf)');
    return new GgufTensorReader(file, await open(file.path, 'r'));
  }

  /** One tensor's raw bytes, in its stored type. */
  async read(tensor: GgufTensorInfo | string): Promise<Uint8Array> {
    const t = typeof tensor === 'string' ? this.file.tensors.find((x) => x.name === tensor) : tensor;
    if (!t) throw new RangeError(`no tensor named '${String(tensor)}' in ${this.file.path ?? 'the file'}`);
    const out = new Uint8Array(t.bytes);
    await this.readInto(t.offset, out, t.name);
    return out;
  }

  /** Reads bytes [offset, offset + out.length) of the file into out. */
  async readInto(offset: number, out: Uint8Array, what = 'tensor data'): Promise<void> {
    if (!this.fh) throw new Error('GgufTensorReader is closed');
    for (let have = 0; have < out.length; ) {
      const { bytesRead } = await this.fh.read(out, have, out.length - have, offset + have);
      if (bytesRead === 0) throw new GgufFormatError('GGUF_TRUNCATED', offset + have, `file ended inside ${what}: it changed on disk since it was read`);
      have += bytesRead;
    }
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close();
  }
}
