/** Growable little-endian byte buffer used to encode GGUF headers. */
export class ByteWriter {
  private buf = new Uint8Array(4096);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private static readonly utf8 = new TextEncoder();

  private reserve(n: number): number {
    const at = this.length;
    if (at + n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < at + n) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(0, at));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    this.length += n;
    return at;
  }
  u8(v: number): void { const at = this.reserve(1); this.view.setUint8(at, v); }
  i8(v: number): void { const at = this.reserve(1); this.view.setInt8(at, v); }
  u16(v: number): void { const at = this.reserve(2); this.view.setUint16(at, v, true); }
  i16(v: number): void { const at = this.reserve(2); this.view.setInt16(at, v, true); }
  u32(v: number): void { const at = this.reserve(4); this.view.setUint32(at, v, true); }
  i32(v: number): void { const at = this.reserve(4); this.view.setInt32(at, v, true); }
  f32(v: number): void { const at = this.reserve(4); this.view.setFloat32(at, v, true); }
  f64(v: number): void { const at = this.reserve(8); this.view.setFloat64(at, v, true); }
  u64(v: number | bigint): void { const at = this.reserve(8); this.view.setBigUint64(at, BigInt(v), true); }
  i64(v: number | bigint): void { const at = this.reserve(8); this.view.setBigInt64(at, BigInt(v), true); }
  bytes(b: Uint8Array): void { const at = this.reserve(b.length); this.buf.set(b, at); }
  string(s: string): void {
    const b = ByteWriter.utf8.encode(s);
    this.u64(b.length);
    this.bytes(b);
  }
  zeros(n: number): void { const at = this.reserve(n); this.buf.fill(0, at, this.length); }
  result(): Uint8Array { return this.buf.slice(0, this.length); }
}
