// Runs in a worker with a 100 MB heap limit (see fuzz.test.ts): mutates valid GGUF files and parses each mutant.
// Every case must end in a parsed file or a GgufFormatError; anything else is reported back as a failure.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { GGUF_VALUE_TYPE as V, GgufFormatError, GgufWriter, memorySink, parseGgufHeader, readGguf } from '../../../src/engine/gguf/index.js';
import { Rng } from '../../../src/engine/model/random.js';
import { writeTestModel } from '../../../src/engine/synth/index.js';

const { seed, cases, fileCases } = workerData as { seed: number; cases: number; fileCases: number };
const rng = new Rng(seed);

async function baseFiles(dir: string): Promise<Uint8Array[]> {
  const model = path.join(dir, 'm.gguf');
  await writeTestModel(model, { arch: 'qwen2', nEmbd: 32, nHead: 2, nHeadKv: 1, nFf: 32, nLayer: 2, weightType: 'Q8_0' });
  const sink = memorySink();
  const w = new GgufWriter(sink, { alignment: 16 });
  w.addMetadata('general.alignment', V.UINT32, 16).addMetadata('general.architecture', V.STRING, 'phi3');
  w.addMetadata('phi3.block_count', V.UINT32, 2).addMetadata('phi3.feed_forward_length', V.ARRAY, [64, 64], V.UINT32);
  w.addMetadata('n', V.ARRAY, [[1, 2], [3]], V.ARRAY).addMetadata('u64', V.UINT64, 2n ** 60n).addMetadata('b', V.BOOL, true);
  w.addMetadata('adapter.lora.alpha', V.FLOAT32, 8).addMetadata('f64', V.FLOAT64, 2.5).addMetadata('i16', V.INT16, -3);
  w.addMetadata('tokenizer.ggml.tokens', V.ARRAY, ['a', 'b', 'c'], V.STRING).addMetadata('tokenizer.ggml.scores', V.ARRAY, [0, 1, 2], V.FLOAT32);
  w.addTensorInfo('t0', 0, [4, 2]).addTensorInfo('t1', 12, [256]).addTensorInfo('t2', 8, [32, 1, 1, 2]);
  await w.writeHeader();
  await w.writeTensorData(new Uint8Array(32));
  await w.writeTensorData(new Uint8Array(144));
  await w.writeTensorData(new Uint8Array(68));
  await w.close();
  return [new Uint8Array(fs.readFileSync(model)), sink.bytes()];
}

const HUGE = [2n ** 64n - 1n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 53n + 1n, 2n ** 32n, 2n ** 31n, 0xffffffffn, 1n << 40n, 0n];

function mutate(base: Uint8Array): { bytes: Uint8Array; kind: string } {
  const headerEnd = Math.min(base.length, 4096);
  const pos = (): number => (rng.next() < 0.9 ? rng.int(headerEnd) : rng.int(base.length));
  let b = base.slice();
  const kind = ['flip', 'byte', 'truncate', 'huge', 'type', 'delete', 'insert', 'splice'][rng.int(8)];
  const dv = () => new DataView(b.buffer, b.byteOffset, b.byteLength);
  switch (kind) {
    case 'flip':
      for (let k = 1 + rng.int(8); k > 0; k--) {
        const p = pos();
        b[p] ^= 1 << rng.int(8);
      }
      break;
    case 'byte':
      for (let k = 1 + rng.int(4); k > 0; k--) b[pos()] = [0, 0xff, 0x7f, 0x80, rng.int(256)][rng.int(5)];
      break;
    case 'truncate':
      b = b.slice(0, rng.next() < 0.8 ? rng.int(headerEnd) : rng.int(b.length));
      break;
    case 'huge': {
      const p = Math.min(pos(), b.length - 8);
      if (p >= 0) dv().setBigUint64(p, HUGE[rng.int(HUGE.length)], true);
      break;
    }
    case 'type': {
      // a u32 that looks like a value or tensor type id gets another small id
      const candidates: number[] = [];
      for (let p = 0; p + 4 <= headerEnd; p++) if (dv().getUint32(p, true) <= 40) candidates.push(p);
      if (candidates.length) dv().setUint32(candidates[rng.int(candidates.length)], rng.int(46), true);
      break;
    }
    case 'delete': {
      const p = pos();
      b = new Uint8Array([...b.subarray(0, p), ...b.subarray(p + 1 + rng.int(16))]);
      break;
    }
    case 'insert': {
      const p = pos();
      const extra = Uint8Array.from({ length: 1 + rng.int(16) }, () => rng.int(256));
      b = new Uint8Array([...b.subarray(0, p), ...extra, ...b.subarray(p)]);
      break;
    }
    case 'splice': {
      const from = pos();
      const to = pos();
      const n = 1 + rng.int(32);
      b.copyWithin(to, from, Math.min(b.length, from + n));
      break;
    }
  }
  return { bytes: b, kind };
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
const outcomes: Record<string, number> = {};
const failures: string[] = [];
let maxHeapMb = 0;
try {
  const bases = await baseFiles(dir);
  for (const base of bases) parseGgufHeader(base); // the bases are valid
  for (let i = 0; i < cases + fileCases; i++) {
    const { bytes, kind } = mutate(bases[rng.int(bases.length)]);
    try {
      if (i < cases) {
        parseGgufHeader(bytes);
      } else {
        // through the file path too: chunked reads and re-parsing
        const f = path.join(dir, 'case.gguf');
        fs.writeFileSync(f, bytes);
        await readGguf(f);
      }
      outcomes.parsed = (outcomes.parsed ?? 0) + 1;
    } catch (err) {
      if (err instanceof GgufFormatError && !err.message.includes('\n') && err.offset >= 0 && err.offset <= bytes.length) {
        outcomes[err.code] = (outcomes[err.code] ?? 0) + 1;
      } else if (failures.length < 5) {
        failures.push(`case ${i} (${kind}): ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
      }
    }
    if (i % 500 === 0) maxHeapMb = Math.max(maxHeapMb, process.memoryUsage().heapUsed / 2 ** 20);
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
parentPort?.postMessage({ outcomes, failures, maxHeapMb });
