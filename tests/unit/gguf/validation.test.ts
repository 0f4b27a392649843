// Every malformation the reader must catch, each as a GgufFormatError with a stable code and the byte offset.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteWriter } from '../../../src/engine/gguf/ByteWriter.js';
import { GGUF_VALUE_TYPE as V, GgufFormatError, parseGgufHeader } from '../../../src/engine/gguf/index.js';
import { craft, kvArr, kvF32, kvStr, kvU32, type RawKv } from './craft.js';

function fails(bytes: Uint8Array, code: string | string[], messagePart?: RegExp): GgufFormatError {
  try {
    parseGgufHeader(bytes);
  } catch (err) {
    assert.ok(err instanceof GgufFormatError, `expected GgufFormatError, got ${String(err)}`);
    assert.ok(([] as string[]).concat(code).includes(err.code), `${err.code}: ${err.message}`);
    assert.ok(err.offset >= 0 && err.offset <= bytes.length, `offset ${err.offset}`);
    assert.ok(!err.message.includes('\n'), 'one line');
    if (messagePart) assert.match(err.message, messagePart);
    return err;
  }
  assert.fail(`expected ${code}, but the file parsed`);
}

const f32Tensor = (name: string, n: number, rel = 0) => ({ name, type: 0, shape: [n], rel });

test('a minimal valid file parses', () => {
  const f = parseGgufHeader(craft({ kvs: [kvStr('general.architecture', 'llama')], tensors: [f32Tensor('a', 8)], dataBytes: 32 }));
  assert.equal(f.tensors[0].bytes, 32);
  assert.equal(f.version, 3);
});

test('bad magic and unsupported versions', () => {
  const b = craft({});
  b[0] = 0x47 + 1;
  fails(b, 'GGUF_BAD_MAGIC');
  fails(craft({ version: 1 }), 'GGUF_BAD_VERSION', /version 1/);
  fails(craft({ version: 4 }), 'GGUF_BAD_VERSION');
  fails(craft({ version: 0x03000000 }), 'GGUF_BAD_VERSION', /big-endian/);
  assert.equal(parseGgufHeader(craft({ version: 2 })).version, 2);
});

test('truncated files', () => {
  const full = craft({ kvs: [kvStr('general.name', 'x')] });
  // a count checked against the bytes left is the first thing a cut file usually fails
  for (const n of [0, 3, 7, 20, 30, 40]) fails(full.subarray(0, n), ['GGUF_TRUNCATED', 'GGUF_COUNT_TOO_LARGE'], /truncated/);
  fails(full.subarray(0, 46), 'GGUF_TRUNCATED'); // inside the value type of 'general.name'
});

test('counts and lengths larger than the file are refused before allocating', () => {
  const e = fails(craft({ tensorCount: 2n ** 62n }), 'GGUF_COUNT_TOO_LARGE');
  assert.equal(e.offset, 8);
  fails(craft({ kvCount: 1000n }), 'GGUF_COUNT_TOO_LARGE');
  fails(craft({ kvs: [kvArr('a', V.UINT64, 2n ** 60n, () => {})] }), 'GGUF_COUNT_TOO_LARGE', /length of array 'a'/);
  fails(craft({ kvs: [kvArr('a', V.STRING, 1000, () => {})] }), 'GGUF_COUNT_TOO_LARGE');
  const hugeString: RawKv = { key: 's', type: V.STRING, write: (w) => w.u64(2n ** 63n) };
  fails(craft({ kvs: [hugeString] }), 'GGUF_COUNT_TOO_LARGE', /length of the value of 's'/);
});

test('invalid UTF-8 in keys, values and tensor names', () => {
  const bad = new Uint8Array([0x61, 0xff, 0xfe]);
  const kv: RawKv = { key: 'k', type: V.STRING, write: (w) => { w.u64(3); w.bytes(bad); } };
  fails(craft({ kvs: [kv] }), 'GGUF_BAD_UTF8');
  const w = new ByteWriter();
  w.bytes(new TextEncoder().encode('GGUF'));
  w.u32(3); w.u64(0); w.u64(1);
  w.u64(2); w.bytes(new Uint8Array([0xc3, 0x28])); // a broken 2-byte sequence as the key
  w.u32(V.UINT8); w.u8(1);
  fails(w.result(), 'GGUF_BAD_UTF8', /metadata key #0/);
  const t = craft({ tensors: [{ name: 'x\uD800', type: 0, shape: [1], rel: 0 }], dataBytes: 32 });
  // TextEncoder writes a lone surrogate as EF BF BD (valid); corrupt it into an overlong encoding instead
  const at = Buffer.from(t).indexOf(Buffer.from([0xef, 0xbf, 0xbd]));
  t.set([0xc0, 0x80, 0x80], at);
  fails(t, 'GGUF_BAD_UTF8');
});

test('duplicate keys and duplicate tensor names', () => {
  fails(craft({ kvs: [kvU32('a', 1), kvU32('a', 2)] }), 'GGUF_DUPLICATE_KEY', /'a'/);
  fails(craft({ tensors: [f32Tensor('w', 8), f32Tensor('w', 8, 32)], dataBytes: 64 }), 'GGUF_DUPLICATE_TENSOR');
});

test('unknown value types and bad bools', () => {
  fails(craft({ kvs: [{ key: 'x', type: 13, write: () => {} }] }), 'GGUF_BAD_VALUE_TYPE');
  fails(craft({ kvs: [kvArr('x', 99, 1, () => {})] }), 'GGUF_BAD_VALUE_TYPE');
  fails(craft({ kvs: [{ key: 'b', type: V.BOOL, write: (w) => w.u8(2) }] }), 'GGUF_BAD_BOOL');
});

test('tensor dimensions: more than 4, zero, negative, element count past 2^53', () => {
  fails(craft({ tensors: [{ name: 't', type: 0, shape: [1, 1, 1, 1, 1], rel: 0 }], dataBytes: 32 }), 'GGUF_TOO_MANY_DIMS');
  fails(craft({ tensors: [{ name: 't', type: 0, shape: [4, 0], rel: 0 }], dataBytes: 32 }), 'GGUF_BAD_DIM');
  fails(craft({ tensors: [{ name: 't', type: 0, shape: [-4n], rel: 0 }], dataBytes: 32 }), 'GGUF_BAD_DIM');
  fails(craft({ tensors: [{ name: 't', type: 0, shape: [2n ** 27n, 2n ** 27n], rel: 0 }], dataBytes: 32 }), 'GGUF_TOO_MANY_ELEMENTS');
  fails(craft({ tensors: [{ name: 't', type: 0, shape: [2n ** 62n], rel: 0 }], dataBytes: 32 }), 'GGUF_TOO_MANY_ELEMENTS');
});

test('unknown tensor types and rows that are not whole blocks', () => {
  fails(craft({ tensors: [{ name: 't', type: 4, shape: [32], rel: 0 }], dataBytes: 32 }), 'GGUF_UNKNOWN_TENSOR_TYPE', /type id 4/);
  fails(craft({ tensors: [{ name: 't', type: 1000, shape: [32], rel: 0 }], dataBytes: 32 }), 'GGUF_UNKNOWN_TENSOR_TYPE');
  fails(craft({ tensors: [{ name: 't', type: 12, shape: [128, 2], rel: 0 }], dataBytes: 288 }), 'GGUF_BAD_ROW_SIZE', /Q4_K block size 256/);
  const ok = parseGgufHeader(craft({ tensors: [{ name: 't', type: 12, shape: [256, 2], rel: 0 }], dataBytes: 288 }));
  assert.equal(ok.tensors[0].bytes, 288);
});

test('tensor data misaligned, overlapping or past the end of the file', () => {
  fails(craft({ tensors: [f32Tensor('a', 8, 4)], dataBytes: 64 }), 'GGUF_TENSOR_MISALIGNED');
  fails(craft({ tensors: [f32Tensor('a', 16), f32Tensor('b', 8, 32)], dataBytes: 96 }), 'GGUF_TENSOR_OVERLAP', /'a' and 'b'/);
  fails(craft({ tensors: [f32Tensor('a', 8)], dataBytes: 16 }), 'GGUF_TENSOR_PAST_END');
  fails(craft({ tensors: [f32Tensor('a', 8, 2 ** 40)], dataBytes: 32 }), 'GGUF_TENSOR_PAST_END');
  // gaps are legal GGUF but llama.cpp wants tensors packed in order: a warning, not an error
  const gap = parseGgufHeader(craft({ tensors: [f32Tensor('a', 8, 64)], dataBytes: 96 }));
  assert.match(gap.warnings.join('\n'), /llama.cpp will refuse/);
});

test('alignment must be a power of two stored as UINT32', () => {
  fails(craft({ kvs: [kvU32('general.alignment', 24)], alignment: 24 }), 'GGUF_BAD_ALIGNMENT');
  fails(craft({ kvs: [kvU32('general.alignment', 0)], alignment: 1 }), 'GGUF_BAD_ALIGNMENT');
  fails(craft({ kvs: [{ key: 'general.alignment', type: V.UINT64, write: (w) => w.u64(32) }] }), 'GGUF_BAD_KEY_TYPE');
  const f = parseGgufHeader(craft({ kvs: [kvU32('general.alignment', 64)], tensors: [f32Tensor('a', 8, 0)], alignment: 64, dataBytes: 64 }));
  assert.equal(f.dataOffset % 64, 0);
});

test('block_count over 512', () => {
  const kvs = [kvStr('general.architecture', 'llama'), kvU32('llama.block_count', 513)];
  fails(craft({ kvs }), 'GGUF_TOO_MANY_LAYERS', /512/);
  parseGgufHeader(craft({ kvs: [kvStr('general.architecture', 'llama'), kvU32('llama.block_count', 512)] }));
});

test('tokenizer arrays of the wrong element type or length', () => {
  const tokens = kvArr('tokenizer.ggml.tokens', V.STRING, 3, (w, i) => w.string(`t${i}`));
  fails(craft({ kvs: [kvArr('tokenizer.ggml.tokens', V.INT32, 3, (w, i) => w.i32(i))] }), 'GGUF_BAD_TOKENIZER', /array of STRING/);
  fails(craft({ kvs: [tokens, kvArr('tokenizer.ggml.scores', V.FLOAT64, 3, (w) => w.f64(0))] }), 'GGUF_BAD_TOKENIZER', /FLOAT32/);
  fails(craft({ kvs: [tokens, kvArr('tokenizer.ggml.token_type', V.UINT8, 3, (w) => w.u8(1))] }), 'GGUF_BAD_TOKENIZER', /INT32/);
  fails(craft({ kvs: [tokens, kvArr('tokenizer.ggml.token_type', V.INT32, 2, (w) => w.i32(1))] }), 'GGUF_BAD_TOKENIZER', /2 entries but there are 3/);
  fails(craft({ kvs: [kvStr('tokenizer.ggml.merges', 'a b')] }), 'GGUF_BAD_TOKENIZER', /not a STRING/);
});

test('keys llama.cpp asserts on, with the wrong type', () => {
  const adapter = [kvStr('general.type', 'adapter'), kvStr('general.architecture', 'llama'), kvStr('adapter.type', 'lora')];
  fails(craft({ kvs: [...adapter, kvU32('adapter.lora.alpha', 16)] }), 'GGUF_BAD_KEY_TYPE', /adapter.lora.alpha must be a FLOAT32/);
  parseGgufHeader(craft({ kvs: [...adapter, kvF32('adapter.lora.alpha', 16)] }));
  fails(craft({ kvs: [kvU32('general.architecture', 1)] }), 'GGUF_BAD_KEY_TYPE');
  fails(craft({ kvs: [kvStr('general.type', 'adapter'), kvU32('adapter.type', 0)] }), 'GGUF_BAD_KEY_TYPE');
});

test('per-layer FFN widths in llama/phi3/qwen2 are a warning, not an error', () => {
  const kvs = (arch: string, widths: number[]) => [
    kvStr('general.architecture', arch),
    kvU32(`${arch}.block_count`, widths.length),
    kvArr(`${arch}.feed_forward_length`, V.UINT32, widths.length, (w, i) => w.u32(widths[i])),
  ];
  for (const arch of ['llama', 'phi3', 'qwen2']) {
    assert.match(parseGgufHeader(craft({ kvs: kvs(arch, [256, 128]) })).warnings.join(), /layer 0's width/);
    assert.deepEqual(parseGgufHeader(craft({ kvs: kvs(arch, [256, 256]) })).warnings, []);
  }
  assert.deepEqual(parseGgufHeader(craft({ kvs: kvs('deci', [256, 128]) })).warnings, []);
  // deci: width 0 drops a layer (a warning), and in the last layer llama.cpp aborts (measured: an error)
  assert.match(parseGgufHeader(craft({ kvs: kvs('deci', [0, 256]) })).warnings.join(), /width 0/);
  fails(craft({ kvs: kvs('deci', [256, 0]) }), 'GGUF_BAD_HYPERPARAMETER', /last layer/);
});

test('tensor names longer than ggml allows', () => {
  fails(craft({ tensors: [f32Tensor('x'.repeat(64), 8)], dataBytes: 32 }), 'GGUF_TENSOR_NAME_TOO_LONG');
  parseGgufHeader(craft({ tensors: [f32Tensor('x'.repeat(63), 8)], dataBytes: 32 }));
});

test('hyperparameters that make llama.cpp abort (each measured with node-llama-cpp 3.21.1)', () => {
  const model = (arch: string, over: Record<string, number>) => {
    const base: Record<string, number> = { block_count: 2, embedding_length: 64, feed_forward_length: 128, 'attention.head_count': 4, 'attention.head_count_kv': 2, 'rope.dimension_count': 16 };
    const all = { ...base, ...over };
    return craft({ kvs: [kvStr('general.architecture', arch), ...Object.entries(all).filter(([, v]) => v >= 0).map(([k, v]) => kvU32(`${arch}.${k}`, v))] });
  };
  for (const arch of ['llama', 'phi3', 'qwen2']) parseGgufHeader(model(arch, {}));
  fails(model('llama', { block_count: 0 }), 'GGUF_BAD_HYPERPARAMETER', /block_count is 0/);
  fails(model('gemma', { block_count: 0 }), 'GGUF_BAD_HYPERPARAMETER');
  fails(model('llama', { feed_forward_length: 0 }), 'GGUF_BAD_HYPERPARAMETER', /llama.cpp aborts/);
  fails(model('qwen2', { 'attention.head_count_kv': 0 }), 'GGUF_BAD_HYPERPARAMETER');
  fails(model('llama', { 'attention.head_count': 0 }), 'GGUF_BAD_HYPERPARAMETER');
  fails(model('phi3', { 'attention.head_count_kv': 3 }), 'GGUF_BAD_HYPERPARAMETER', /does not divide/);
  fails(model('qwen2', { 'rope.dimension_count': 8 }), 'GGUF_BAD_HYPERPARAMETER', /head size 16/);
  fails(model('qwen2', { 'attention.key_length': 32 }), 'GGUF_BAD_HYPERPARAMETER');
  fails(model('llama', { expert_count: 2 }), 'GGUF_BAD_HYPERPARAMETER', /expert_used_count/);
  fails(model('llama', { expert_count: 2, expert_used_count: 3 }), 'GGUF_BAD_HYPERPARAMETER');
  parseGgufHeader(model('llama', { expert_count: 8, expert_used_count: 2 }));
  // phi3 tolerates a partial rotary dimension (measured: it loads and generates)
  parseGgufHeader(model('phi3', { 'rope.dimension_count': 8 }));
});

test('tensor types that crash llama.cpp (measured): errors for llama/phi3/qwen2, warnings elsewhere', () => {
  const file = (arch: string, name: string, type: number, shape: number[], bytes: number) =>
    craft({ kvs: [kvStr('general.architecture', arch)], tensors: [{ name, type, shape, rel: 0 }], dataBytes: bytes });
  fails(file('llama', 'blk.0.attn_norm.weight', 1, [64], 128), 'GGUF_BAD_TENSOR_TYPE', /needs norm weights and biases in F32/);
  fails(file('qwen2', 'blk.0.attn_q.bias', 8, [64], 68), 'GGUF_BAD_TENSOR_TYPE');
  fails(file('phi3', 'output.weight', 28, [4, 4], 128), 'GGUF_BAD_TENSOR_TYPE', /F64/);
  fails(file('llama', 'output.weight', 26, [4, 4], 64), 'GGUF_BAD_TENSOR_TYPE', /I32/);
  fails(file('gemma', 'output.weight', 15, [256, 2], 584), 'GGUF_BAD_TENSOR_TYPE', /activation-only/);
  fails(file('llama', 'token_embd.weight', 9, [32, 2], 72), 'GGUF_BAD_TENSOR_TYPE');
  assert.match(parseGgufHeader(file('gemma', 'blk.0.attn_norm.weight', 1, [64], 128)).warnings.join(), /F32/);
  // not flagged: F32 norms, F16 matrices, 1-D tensors that are neither norms nor biases
  assert.deepEqual(parseGgufHeader(file('llama', 'blk.0.attn_norm.weight', 0, [64], 256)).warnings, []);
  assert.deepEqual(parseGgufHeader(file('llama', 'output.weight', 1, [64, 2], 256)).warnings, []);
  assert.deepEqual(parseGgufHeader(file('llama', 'rope_freqs.weight', 1, [32], 64)).warnings, []);
});

test('keys named like Object.prototype members are ordinary keys', () => {
  const f = parseGgufHeader(craft({ kvs: [kvU32('__proto__', 1), kvU32('constructor', 2), kvStr('toString', 'x')] }));
  assert.deepEqual(Object.keys(f.metadata), ['__proto__', 'constructor', 'toString']);
  assert.equal(f.metadata['__proto__'], 1);
  assert.equal(Object.getPrototypeOf(f.metadata), Object.prototype);
  assert.equal(f.metadata.constructor, 2);
  fails(craft({ kvs: [kvU32('__proto__', 1), kvU32('__proto__', 1)] }), 'GGUF_DUPLICATE_KEY');
});

test('norm epsilons and rope dimensions that make llama.cpp abort or hang (found by loading accepted mutants)', () => {
  const model = (arch: string, extra: ReturnType<typeof kvU32>[]) =>
    craft({ kvs: [kvStr('general.architecture', arch), kvU32(`${arch}.embedding_length`, 64), kvU32(`${arch}.attention.head_count`, 4), ...extra] });
  fails(model('qwen2', [kvF32('qwen2.attention.layer_norm_rms_epsilon', -1)]), 'GGUF_BAD_HYPERPARAMETER', /finite number/);
  fails(model('gemma', [kvF32('gemma.attention.layer_norm_rms_epsilon', NaN)]), 'GGUF_BAD_HYPERPARAMETER');
  fails(model('falcon', [kvF32('falcon.attention.layer_norm_epsilon', -1e-5)]), 'GGUF_BAD_HYPERPARAMETER');
  fails(model('phi3', [kvU32('phi3.rope.dimension_count', 7)]), 'GGUF_BAD_HYPERPARAMETER', /even/);
  fails(model('phi3', [kvU32('phi3.rope.dimension_count', 0)]), 'GGUF_BAD_HYPERPARAMETER'); // llama.cpp hangs
  fails(model('phi3', [kvU32('phi3.rope.dimension_count', 32)]), 'GGUF_BAD_HYPERPARAMETER', /head size 16/);
  parseGgufHeader(model('phi3', [kvU32('phi3.rope.dimension_count', 8), kvF32('phi3.attention.layer_norm_rms_epsilon', 0)]));
});

test('LoRA adapters: unmatched or rank-mismatched pairs and a non-finite alpha are warnings', () => {
  const adapter = (alpha: number, tensors: Array<{ name: string; shape: number[] }>) => {
    let rel = 0;
    const infos = tensors.map((t) => {
      const bytes = t.shape.reduce((a, b) => a * b, 1) * 4;
      const info = { name: t.name, type: 0, shape: t.shape, rel };
      rel += Math.ceil(bytes / 32) * 32;
      return info;
    });
    return parseGgufHeader(craft({
      kvs: [kvStr('general.architecture', 'llama'), kvStr('general.type', 'adapter'), kvStr('adapter.type', 'lora'), kvF32('adapter.lora.alpha', alpha)],
      tensors: infos,
      dataBytes: rel,
    })).warnings.join('\n');
  };
  assert.equal(adapter(8, [{ name: 'blk.0.attn_q.weight.lora_a', shape: [64, 4] }, { name: 'blk.0.attn_q.weight.lora_b', shape: [4, 64] }]), '');
  assert.match(adapter(8, [{ name: 'blk.0.attn_q.weight.lora_a', shape: [64, 4] }]), /no matching lora_b/);
  assert.match(adapter(8, [{ name: 'blk.0.attn_q.weight.lora_a', shape: [64, 4] }, { name: 'blk.0.attn_q.weight.lora_b', shape: [2, 64] }]), /rank/);
  assert.match(adapter(NaN, []), /NaN/);
});
