// Builds GGUF bytes field by field, including malformed ones, for the validation tests and the fuzzer.
import { ByteWriter } from '../../../src/engine/gguf/ByteWriter.js';
import { GGUF_VALUE_TYPE as V } from '../../../src/engine/gguf/index.js';

export type RawKv = { key: string; type: number; write: (w: ByteWriter) => void };
export type RawTensor = { name: string; type: number; shape: (number | bigint)[]; rel: number | bigint };

export const kvU32 = (key: string, v: number): RawKv => ({ key, type: V.UINT32, write: (w) => w.u32(v) });
export const kvF32 = (key: string, v: number): RawKv => ({ key, type: V.FLOAT32, write: (w) => w.f32(v) });
export const kvStr = (key: string, v: string): RawKv => ({ key, type: V.STRING, write: (w) => w.string(v) });
export const kvArr = (key: string, elementType: number, n: number | bigint, each: (w: ByteWriter, i: number) => void): RawKv => ({
  key,
  type: V.ARRAY,
  write: (w) => {
    w.u32(elementType);
    w.u64(n);
    for (let i = 0; i < Number(n) && i < 1e6; i++) each(w, i);
  },
});

/** Header (magic, version, counts, kvs, tensor infos, padding) followed by `dataBytes` bytes of tensor data. */
export function craft(opts: { version?: number; kvs?: RawKv[]; tensors?: RawTensor[]; alignment?: number; dataBytes?: number; tensorCount?: bigint; kvCount?: bigint }): Uint8Array {
  const w = new ByteWriter();
  w.bytes(new TextEncoder().encode('GGUF'));
  w.u32(opts.version ?? 3);
  const tensors = opts.tensors ?? [];
  const kvs = opts.kvs ?? [];
  w.u64(opts.tensorCount ?? BigInt(tensors.length));
  w.u64(opts.kvCount ?? BigInt(kvs.length));
  for (const kv of kvs) {
    w.string(kv.key);
    w.u32(kv.type);
    kv.write(w);
  }
  for (const t of tensors) {
    w.string(t.name);
    w.u32(t.shape.length);
    for (const d of t.shape) w.u64(BigInt.asUintN(64, BigInt(d)));
    w.u32(t.type);
    w.u64(t.rel);
  }
  const a = opts.alignment ?? 32;
  w.zeros((a - (w.length % a)) % a);
  w.zeros(opts.dataBytes ?? 0);
  return w.result();
}
