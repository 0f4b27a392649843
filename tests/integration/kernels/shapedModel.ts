// A model file of a given architecture and size with random weights, written as a stream (a multi-GB model never
// sits in memory), or only declared: the header of the full model on a sparse file of the full length (for tests
// of what happens before the weights are read). The tensors, metadata keys and SPM vocabulary are those of
// src/engine/gguf's layout table and src/engine/synth, so our reader and llama.cpp both load it.
import { open, stat, truncate } from 'node:fs/promises';
import { GgufWriter } from '../../../src/engine/gguf/index.js';
import { encodeGgufHeader, tensorDataBytes, type GgufTensorHeaderEntry } from '../../../src/engine/gguf/encodeGgufHeader.js';
import { hyperparameterEntries } from '../../../src/engine/gguf/hyperparameterEntries.js';
import { GENERAL, TOKENIZER } from '../../../src/engine/gguf/metadataKeys.js';
import { archLayout, globalTensors, layerTensors, type LayoutArch, type LayoutDims } from '../../../src/engine/gguf/tensorLayout.js';
import { GGUF_VALUE_TYPE as V, type GgufMetadataEntry } from '../../../src/engine/gguf/types.js';
import { Rng } from '../../../src/engine/model/random.js';
import { quantize } from '../../../src/engine/quant/index.js';
import { randomQuantBlocks, spmVocab, TOKEN_TYPE } from '../../../src/engine/synth/index.js';

export interface ShapedModelOptions {
  arch: LayoutArch;
  nEmbd: number;
  nLayer: number;
  nFf: number;
  nHead: number;
  nHeadKv: number;
  nVocab: number;
  contextLength?: number;
  /** GGML type id of the matrices */
  weightType: number;
  /** GGML type id of output.weight (default: weightType) */
  outputType?: number;
  /** 'random': random blocks, streamed; 'declared': the header only, on a sparse file of the full length */
  data: 'random' | 'declared';
  seed?: number;
  /** fraction of the bytes written, in [0, 1] */
  onProgress?: (fraction: number) => void;
}

const ALIGNMENT = 32;

/** Writes the model; returns the file's length in bytes. */
export async function writeShapedModel(path: string, o: ShapedModelOptions): Promise<number> {
  const layout = archLayout(o.arch);
  if (!layout) throw new RangeError(`unknown architecture ${o.arch}`);
  const headDim = o.nEmbd / o.nHead;
  const metadata: GgufMetadataEntry[] = hyperparameterEntries({ architecture: o.arch, contextLength: o.contextLength ?? 4096,
    nEmbd: o.nEmbd, nLayer: o.nLayer, nFf: o.nFf, nHead: o.nHead, nHeadKv: o.nHeadKv, ropeDims: headDim, ropeBase: 10000,
    normEps: 1e-5, nVocab: o.nVocab });
  // the SPM test vocabulary, filled up to nVocab with tokens of their own (llama.cpp reads any distinct pieces)
  const vocab = spmVocab();
  if (vocab.tokens.length > o.nVocab) throw new RangeError(`nVocab must be at least ${vocab.tokens.length}`);
  for (let i = vocab.tokens.length; i < o.nVocab; i++) {
    vocab.tokens.push(`▁w${i}`);
    vocab.scores.push(-1000 - i);
    vocab.types.push(TOKEN_TYPE.NORMAL);
  }
  const kv = (key: string, type: GgufMetadataEntry['type'], value: GgufMetadataEntry['value'], elementType?: GgufMetadataEntry['elementType']): void => {
    metadata.push({ key, type, value, elementType });
  };
  kv(GENERAL.name, V.STRING, `model-lab shaped ${o.arch}`);
  kv(TOKENIZER.model, V.STRING, 'llama');
  kv(TOKENIZER.tokens, V.ARRAY, vocab.tokens, V.STRING);
  kv(TOKENIZER.scores, V.ARRAY, vocab.scores, V.FLOAT32);
  kv(TOKENIZER.tokenType, V.ARRAY, vocab.types, V.INT32);
  kv(TOKENIZER.unknownId, V.UINT32, 0);
  kv(TOKENIZER.bosId, V.UINT32, 1);
  kv(TOKENIZER.eosId, V.UINT32, 2);
  kv(TOKENIZER.addBos, V.BOOL, true);
  kv(TOKENIZER.addEos, V.BOOL, false);

  const dims: LayoutDims = { nEmbd: o.nEmbd, nVocab: o.nVocab, nHead: o.nHead, nHeadKv: o.nHeadKv, headDim,
    ffn: new Array<number>(o.nLayer).fill(o.nFf), tiedOutput: false };
  const slots = [...globalTensors(dims), ...dims.ffn.flatMap((_, il) => layerTensors(layout, dims, il))];
  const tensors: Array<{ name: string; type: number; shape: number[] }> = [];
  for (const t of slots) {
    const type = t.kind === 'norm' ? 0 : t.base === 'output' ? o.outputType ?? o.weightType : o.weightType;
    tensors.push({ name: `${t.base}.weight`, type, shape: t.kind === 'norm' ? [t.cols] : [t.cols, t.rows] });
    if (t.bias) tensors.push({ name: `${t.base}.bias`, type: 0, shape: [t.rows] });
  }

  if (o.data === 'declared') {
    let rel = 0;
    const entries: GgufTensorHeaderEntry[] = tensors.map((t) => {
      const e = { ...t, relOffset: rel };
      rel += Math.ceil(tensorDataBytes(t.type, t.shape) / ALIGNMENT) * ALIGNMENT;
      return e;
    });
    const header = encodeGgufHeader(3, metadata, entries, ALIGNMENT);
    const fh = await open(path, 'w');
    try {
      await fh.write(header, 0, header.length, 0);
    } finally {
      await fh.close();
    }
    await truncate(path, header.length + rel);
    return header.length + rel;
  }

  // random blocks: a pool of a few MB per type, streamed in slices from varying block offsets
  const rng = new Rng(o.seed ?? 1);
  const pools = new Map<number, Uint8Array>();
  const pool = (type: number): Uint8Array => {
    let p = pools.get(type);
    if (!p) pools.set(type, p = randomQuantBlocks(type, 4 * 2 ** 20, 0.02, rng));
    return p;
  };
  const total = tensors.reduce((s, t) => s + tensorDataBytes(t.type, t.shape), 0);
  let written = 0;
  const w = await GgufWriter.open(path, { alignment: ALIGNMENT });
  try {
    for (const m of metadata) w.addMetadata(m.key, m.type, m.value, m.elementType, m.element);
    for (const t of tensors) w.addTensorInfo(t.name, t.type, t.shape);
    await w.writeHeader();
    for (const t of tensors) {
      const bytes = tensorDataBytes(t.type, t.shape);
      if (t.type === 0) {
        // norm weights around 1, biases around 0
        await w.writeTensorData(quantize(0, rng.normals(bytes / 4, 0.1, t.name.endsWith('.bias') ? 0 : 1)));
      } else {
        const p = pool(t.type);
        const block = (bytes / (t.shape[0] * t.shape[1])) * 256; // bytes of 256 values: whole blocks of every type
        await w.writeTensorData(function* () {
          for (let at = 0; at < bytes;) {
            const start = rng.int(64) * block;
            const n = Math.min(bytes - at, p.length - start);
            yield p.subarray(start, start + n);
            at += n;
            written += n;
            o.onProgress?.(written / total);
          }
        });
      }
    }
    await w.close();
  } catch (err) {
    await w.abort();
    throw err;
  }
  return (await stat(path)).size;
}
