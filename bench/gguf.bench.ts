// GGUF library speed: header parse of a 256 MB model-like file (vs @huggingface/gguf), tensor reads through our
// reader vs a plain fs read of the same bytes, and dequantize/quantize throughput. Figures measured in one run.
//   npm run bench gguf        (or: node --import tsx bench/gguf.bench.ts)
import fs from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gguf } from '@huggingface/gguf';
import { GGUF_VALUE_TYPE as V, GgufTensorReader, GgufWriter, readGguf, readTensorBytes } from '../src/engine/gguf/index.js';
import { dequantize, GGML_TYPE as T, GGML_TYPES, quantize } from '../src/engine/quant/index.js';
import { Rng } from '../src/engine/model/random.js';
import { spmVocab } from '../src/engine/synth/index.js';

const MiB = 2 ** 20;

/** A phi3-mini-shaped header (32k vocabulary, 32 layers × 7 tensors) over ~256 MB of Q4_K/Q6_K/F32 data. */
async function writeBigFile(file: string): Promise<void> {
  const w = await GgufWriter.open(file);
  const nEmbd = 1024;
  const nFf = 2560;
  const nLayer = 32;
  const nVocab = 32064;
  const base = spmVocab();
  const tokens = Array.from({ length: nVocab }, (_, i) => (i < base.tokens.length ? base.tokens[i] : `▁piece${i}`));
  w.addMetadata('general.architecture', V.STRING, 'phi3').addMetadata('general.name', V.STRING, 'bench');
  for (const [k, v] of [['context_length', 4096], ['embedding_length', nEmbd], ['block_count', nLayer], ['feed_forward_length', nFf],
    ['attention.head_count', 16], ['attention.head_count_kv', 16], ['rope.dimension_count', 64]] as const) w.addMetadata(`phi3.${k}`, V.UINT32, v);
  w.addMetadata('phi3.attention.layer_norm_rms_epsilon', V.FLOAT32, 1e-5);
  w.addMetadata('tokenizer.ggml.model', V.STRING, 'llama');
  w.addMetadata('tokenizer.ggml.tokens', V.ARRAY, tokens, V.STRING);
  w.addMetadata('tokenizer.ggml.scores', V.ARRAY, tokens.map((_, i) => -i), V.FLOAT32);
  w.addMetadata('tokenizer.ggml.token_type', V.ARRAY, tokens.map((_, i) => (i < 3 ? 3 : 1)), V.INT32);
  const infos: Array<[string, number, number[]]> = [['token_embd.weight', T.Q4_K, [nEmbd, nVocab]], ['output_norm.weight', T.F32, [nEmbd]], ['output.weight', T.Q6_K, [nEmbd, nVocab]]];
  for (let i = 0; i < nLayer; i++) {
    infos.push([`blk.${i}.attn_norm.weight`, T.F32, [nEmbd]], [`blk.${i}.attn_qkv.weight`, T.Q4_K, [nEmbd, 3 * nEmbd]],
      [`blk.${i}.attn_output.weight`, T.Q4_K, [nEmbd, nEmbd]], [`blk.${i}.ffn_norm.weight`, T.F32, [nEmbd]],
      [`blk.${i}.ffn_up.weight`, T.Q4_K, [nEmbd, 2 * nFf]], [`blk.${i}.ffn_down.weight`, T.Q6_K, [nFf, nEmbd]]);
  }
  for (const [name, type, shape] of infos) w.addTensorInfo(name, type, shape);
  await w.writeHeader();
  const pattern = new Uint8Array(MiB).map(() => Math.floor(Math.random() * 256));
  for (const [, type, shape] of infos) {
    const bytes = (shape.reduce((a, b) => a * b, 1) / GGML_TYPES[type].blockSize) * GGML_TYPES[type].typeSize;
    await w.writeTensorData(function* () {
      for (let done = 0; done < bytes; done += MiB) yield pattern.subarray(0, Math.min(MiB, bytes - done));
    });
  }
  await w.close();
}

async function timeMs(fn: () => Promise<unknown> | unknown, repeat: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-bench-'));
try {
  const file = path.join(dir, 'big.gguf');
  await writeBigFile(file);
  const parsed = await readGguf(file);
  const size = parsed.fileBytes;
  console.log(`file: ${(size / MiB).toFixed(0)} MiB, header ${(parsed.dataOffset / MiB).toFixed(2)} MiB, ${parsed.tensors.length} tensors, 32064-token vocabulary`);

  const ours = await timeMs(() => readGguf(file), 15);
  const peer = await timeMs(() => gguf(file, { allowLocalFile: true }), 15);
  console.log(`header parse (median of 15): readGguf ${ours.toFixed(1)} ms, @huggingface/gguf ${peer.toFixed(1)} ms, ratio ours/peer ${(ours / peer).toFixed(2)}`);

  // tensor reads: our lazy readTensorBytes vs a plain fs read of the same byte ranges (page cache warm for both)
  const plain = async (): Promise<number> => {
    const fh = await open(file, 'r');
    let n = 0;
    try {
      for (const t of parsed.tensors) {
        const buf = new Uint8Array(t.bytes);
        for (let have = 0; have < t.bytes; ) have += (await fh.read(buf, have, t.bytes - have, t.offset + have)).bytesRead;
        n += buf.length;
      }
    } finally {
      await fh.close();
    }
    return n;
  };
  const lazy = async (): Promise<number> => {
    let n = 0;
    for (const t of parsed.tensors) n += (await readTensorBytes(parsed, t)).length;
    return n;
  };
  const reader = async (): Promise<number> => {
    const r = await GgufTensorReader.open(parsed);
    let n = 0;
    try {
      for (const t of parsed.tensors) n += (await r.read(t)).length;
    } finally {
      await r.close();
    }
    return n;
  };
  await plain();
  await lazy();
  await reader();
  const tensorBytes = parsed.tensors.reduce((a, t) => a + t.bytes, 0);
  // interleaved rounds so that both see the same machine load; the fastest round is the least disturbed
  const lazyTimes: number[] = [];
  const plainTimes: number[] = [];
  const readerTimes: number[] = [];
  for (let r = 0; r < 7; r++) {
    lazyTimes.push(await timeMs(lazy, 1));
    readerTimes.push(await timeMs(reader, 1));
    plainTimes.push(await timeMs(plain, 1));
  }
  const tLazy = Math.min(...lazyTimes);
  const tReader = Math.min(...readerTimes);
  const tPlain = Math.min(...plainTimes);
  const gbs = (ms: number): string => (tensorBytes / 1e9 / (ms / 1000)).toFixed(2);
  console.log(`read all ${parsed.tensors.length} tensors (${(tensorBytes / MiB).toFixed(0)} MiB, best of 7 interleaved): plain fs (one handle) ${tPlain.toFixed(0)} ms = ${gbs(tPlain)} GB/s; ` +
    `GgufTensorReader ${tReader.toFixed(0)} ms = ${gbs(tReader)} GB/s (ratio to plain ${(tReader / tPlain).toFixed(2)}); ` +
    `readTensorBytes (a handle per tensor) ${tLazy.toFixed(0)} ms = ${gbs(tLazy)} GB/s (ratio ${(tLazy / tPlain).toFixed(2)})`);

  // dequantize / quantize throughput on one 1024 × 1024 matrix
  const x = new Rng(1).normals(1024 * 1024, 0.05);
  const parts: string[] = [];
  for (const name of ['F16', 'Q8_0', 'Q4_0', 'Q4_K', 'Q6_K', 'Q5_K', 'Q2_K']) {
    const type = T[name as keyof typeof T];
    const bytes = name === 'Q5_K' || name === 'Q2_K' ? new Uint8Array((x.length / 256) * GGML_TYPES[type].typeSize) : quantize(type, x);
    const dq = await timeMs(() => dequantize(type, bytes, x.length), 5);
    const q = name === 'Q5_K' || name === 'Q2_K' ? NaN : await timeMs(() => quantize(type, x), 3);
    parts.push(`${name} dequant ${(x.length / 1e6 / (dq / 1000)).toFixed(0)} M/s${Number.isNaN(q) ? '' : `, quant ${(x.length / 1e6 / (q / 1000)).toFixed(0)} M/s`}`);
  }
  console.log(`values per second (1M-value matrix, one core): ${parts.join('; ')}`);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
