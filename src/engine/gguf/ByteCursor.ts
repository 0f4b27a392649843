import { GgufFormatError } from './GgufFormatError.js';

/** Thrown (internally) when the parser needs bytes past the prefix it was given but the file has them. */
export class NeedMoreBytes extends Error {
  constructor(readonly needed: number) {
    super(`need ${needed} bytes`);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Little-endian reader over a prefix of a file. Every read is bounds-checked: past the end of the file it throws
 * GgufFormatError; past the end of the prefix (while the file goes on) it throws NeedMoreBytes so the caller can
 * read a larger prefix and parse again.
 */
export class ByteCursor {
  pos = 0;
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    /** total size of the file the bytes are a prefix of */
    readonly fileBytes: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes left in the file (not only the prefix) after the cursor. */
  get remaining(): number {
    return this.fileBytes - this.pos;
  }

  ensure(n: number, what: string): void {
    const end = this.pos + n;
    if (end > this.fileBytes) {
      throw new GgufFormatError('GGUF_TRUNCATED', this.pos, `file ends inside ${what} at byte ${this.pos}: truncated or corrupt download`);
    }
    if (end > this.bytes.length) throw new NeedMoreBytes(end);
  }

  u8(what: string): number {
    this.ensure(1, what);
    return this.bytes[this.pos++];
  }
  i8(what: string): number {
    this.ensure(1, what);
    return this.view.getInt8(this.pos++);
  }
  u16(what: string): number {
    this.ensure(2, what);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  i16(what: string): number {
    this.ensure(2, what);
    const v = this.view.getInt16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.ensure(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(what: string): number {
    this.ensure(4, what);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  f32(what: string): number {
    this.ensure(4, what);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }
  f64(what: string): number {
    this.ensure(8, what);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  u64(what: string): bigint {
    this.ensure(8, what);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  i64(what: string): bigint {
    this.ensure(8, what);
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A u64 count or length that must fit in what is left of the file at `minBytesEach` bytes per item. */
  count(what: string, minBytesEach: number): number {
    const at = this.pos;
    const n = this.u64(what);
    if (n * BigInt(minBytesEach) > BigInt(this.remaining)) {
      throw new GgufFormatError('GGUF_COUNT_TOO_LARGE', at, `${what} is ${n}, more than the ${this.remaining} bytes left in the file can hold: truncated or corrupt file`);
    }
    return Number(n);
  }

  /** A GGUF string: u64 byte length, then UTF-8 bytes (no terminator). */
  string(what: string): string {
    const at = this.pos;
    const len = this.count(`length of ${what}`, 1);
    this.ensure(len, what);
    try {
      return utf8.decode(this.bytes.subarray(this.pos, (this.pos += len)));
    } catch {
      throw new GgufFormatError('GGUF_BAD_UTF8', at, `${what} at byte ${at} is not valid UTF-8: corrupt file`);
    }
  }
}
