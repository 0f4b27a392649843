import { open, type FileHandle } from 'node:fs/promises';
import { throwIfAborted } from '../errors.js';
import { encodeGgufHeader, tensorDataBytes, type GgufTensorHeaderEntry } from './encodeGgufHeader.js';
import { GGUF_DEFAULT_ALIGNMENT } from './parseGgufHeader.js';
import type { GgufMetadataEntry, GgufValue, GgufValueTypeId, GgufValueTypeInfo } from './types.js';
import { GENERAL } from './metadataKeys.js';

/** Where the writer's bytes go: a file (GgufWriter.open) or anything else, e.g. memory in tests. */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export type TensorDataSource = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array> | (() => AsyncIterable<Uint8Array> | Iterable<Uint8Array>);

type State = 'metadata' | 'tensorInfos' | 'data' | 'closed';

interface PlannedTensor extends GgufTensorHeaderEntry {
  bytes: number;
}

/**
 * Writes a GGUF file in the format's order and refuses calls out of order:
 * addMetadata* → addTensorInfo* → writeHeader → writeTensorData (once per tensor, in info order) → close.
 * Tensor data is streamed (any chunking), so a multi-GB model never has to be in memory.
 */
export class GgufWriter {
  private state: State = 'metadata';
  private readonly metadata: GgufMetadataEntry[] = [];
  private readonly keys = new Set<string>();
  private readonly tensors: PlannedTensor[] = [];
  private nextRelOffset = 0;
  private written = 0;
  private bytesOut = 0;

  constructor(
    private readonly sink: ByteSink,
    readonly opts: { alignment?: number; version?: 2 | 3; signal?: AbortSignal } = {},
  ) {
    const a = this.alignment;
    if (!Number.isInteger(a) || a <= 0 || (a & (a - 1)) !== 0) throw new RangeError(`alignment ${a} is not a power of two`);
  }

  /** A writer to a new file at `path` (overwritten if it exists). */
  static async open(path: string, opts: { alignment?: number; version?: 2 | 3; signal?: AbortSignal } = {}): Promise<GgufWriter> {
    return new GgufWriter(await fileSink(path), opts);
  }

  get alignment(): number {
    return this.opts.alignment ?? GGUF_DEFAULT_ALIGNMENT;
  }

  addMetadata(key: string, type: GgufValueTypeId, value: GgufValue, elementType?: GgufValueTypeId, element?: GgufValueTypeInfo): this {
    this.expect('metadata', 'addMetadata');
    if (this.keys.has(key)) throw new Error(`GgufWriter: metadata key '${key}' added twice`);
    this.keys.add(key);
    this.metadata.push({ key, type, value, elementType, element });
    return this;
  }

  addTensorInfo(name: string, type: number, shape: number[]): this {
    if (this.state === 'metadata') this.state = 'tensorInfos';
    this.expect('tensorInfos', 'addTensorInfo');
    if (this.tensors.some((t) => t.name === name)) throw new Error(`GgufWriter: tensor '${name}' added twice`);
    // ggml keeps names in a 64-byte field with a terminating NUL
    if (Buffer.byteLength(name) > 63) throw new RangeError(`GgufWriter: tensor name '${name.slice(0, 40)}…' is longer than ggml's 63 bytes`);
    if (shape.length < 1 || shape.length > 4 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new RangeError(`GgufWriter: tensor '${name}' has bad shape [${shape.join(', ')}]`);
    }
    const bytes = tensorDataBytes(type, shape);
    this.tensors.push({ name, type, shape: [...shape], relOffset: this.nextRelOffset, bytes });
    this.nextRelOffset += align(bytes, this.alignment);
    return this;
  }

  /** Writes everything before the tensor data. */
  async writeHeader(): Promise<void> {
    if (this.state === 'metadata') this.state = 'tensorInfos';
    this.expect('tensorInfos', 'writeHeader');
    const declared = this.metadata.find((m) => m.key === GENERAL.alignment);
    if (declared && declared.value !== this.alignment) {
      throw new Error(`GgufWriter: general.alignment is ${String(declared.value)} but the writer aligns to ${this.alignment}`);
    }
    const header = encodeGgufHeader(this.opts.version ?? 3, this.metadata, this.tensors, this.alignment);
    this.state = 'data';
    await this.out(header);
  }

  /** Streams the data of the next tensor (in the order of addTensorInfo); checks its length; pads to alignment. */
  async writeTensorData(data: TensorDataSource): Promise<void> {
    this.expect('data', 'writeTensorData');
    const t = this.tensors[this.written];
    if (!t) throw new Error('GgufWriter: more tensor data than tensor infos');
    let n = 0;
    const source = typeof data === 'function' ? data() : data instanceof Uint8Array ? [data] : data;
    for await (const chunk of source) {
      throwIfAborted(this.opts.signal);
      n += chunk.length;
      if (n > t.bytes) throw new Error(`GgufWriter: tensor '${t.name}' got more than its ${t.bytes} bytes`);
      await this.out(chunk);
    }
    if (n !== t.bytes) throw new Error(`GgufWriter: tensor '${t.name}' got ${n} bytes, expected ${t.bytes}`);
    const pad = align(n, this.alignment) - n;
    if (pad > 0) await this.out(new Uint8Array(pad));
    this.written++;
  }

  /** Finishes the file; every tensor must have had its data written. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    if (this.state !== 'data') await this.writeHeader();
    if (this.written !== this.tensors.length) {
      throw new Error(`GgufWriter: closed after ${this.written} of ${this.tensors.length} tensors' data`);
    }
    this.state = 'closed';
    await this.sink.close();
  }

  /** Closes the sink without the completeness check (after an error); the partial file stays. */
  async abort(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    await this.sink.close();
  }

  get bytesWritten(): number {
    return this.bytesOut;
  }

  private expect(state: State, call: string): void {
    if (this.state !== state) throw new Error(`GgufWriter: ${call}() is not allowed after the ${this.state === 'closed' ? 'file was closed' : `${this.state} stage began`}`);
  }

  private async out(chunk: Uint8Array): Promise<void> {
    this.bytesOut += chunk.length;
    await this.sink.write(chunk);
  }
}

function align(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** A file sink that batches small writes into 1 MiB buffers. */
async function fileSink(path: string): Promise<ByteSink> {
  const fh: FileHandle = await open(path, 'w');
  const buf = new Uint8Array(1 << 20);
  let used = 0;
  const flush = async (): Promise<void> => {
    if (used > 0) await writeAll(fh, buf.subarray(0, used));
    used = 0;
  };
  return {
    async write(chunk) {
      if (chunk.length >= buf.length) {
        await flush();
        await writeAll(fh, chunk);
        return;
      }
      if (used + chunk.length > buf.length) await flush();
      buf.set(chunk, used);
      used += chunk.length;
    },
    async close() {
      try {
        await flush();
      } finally {
        await fh.close();
      }
    },
  };
}

async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length; ) done += (await fh.write(bytes, done, bytes.length - done)).bytesWritten;
}

/** A sink collecting everything in memory (tests, fuzzing). `bytes()` returns the file. */
export function memorySink(): ByteSink & { bytes(): Uint8Array } {
  const chunks: Uint8Array[] = [];
  return {
    async write(chunk) {
      chunks.push(chunk.slice());
    },
    async close() {},
    bytes() {
      return new Uint8Array(Buffer.concat(chunks));
    },
  };
}
