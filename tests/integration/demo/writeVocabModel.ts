// Test helper: a tiny random llama model carrying a given tokenizer, so llama.cpp can tokenize with our vocabulary.
import { GgufWriter } from '../../../src/engine/gguf/GgufWriter.js';
import { GGUF_VALUE_TYPE as T } from '../../../src/engine/gguf/types.js';
import { tokenizerGgufMetadata } from '../../../src/engine/tokenizer/index.js';
import type { TokenizerVocab } from '../../../src/engine/tokenizer/index.js';

export async function writeVocabModel(path: string, vocab: TokenizerVocab, nEmbd = 32): Promise<void> {
  const nVocab = vocab.tokens.length;
  const nFf = 64;
  const w = await GgufWriter.open(path);
  w.addMetadata('general.architecture', T.STRING, 'llama');
  w.addMetadata('general.name', T.STRING, 'vocab test');
  w.addMetadata('llama.context_length', T.UINT32, 256);
  w.addMetadata('llama.embedding_length', T.UINT32, nEmbd);
  w.addMetadata('llama.block_count', T.UINT32, 1);
  w.addMetadata('llama.feed_forward_length', T.UINT32, nFf);
  w.addMetadata('llama.attention.head_count', T.UINT32, 2);
  w.addMetadata('llama.attention.head_count_kv', T.UINT32, 2);
  w.addMetadata('llama.attention.layer_norm_rms_epsilon', T.FLOAT32, 1e-5);
  w.addMetadata('llama.rope.dimension_count', T.UINT32, nEmbd / 2);
  for (const e of tokenizerGgufMetadata(vocab)) w.addMetadata(e.key, e.type, e.value, e.elementType);
  const tensors: Array<[string, number[]]> = [
    ['token_embd.weight', [nEmbd, nVocab]],
    ['output_norm.weight', [nEmbd]],
    ['output.weight', [nEmbd, nVocab]],
    ['blk.0.attn_norm.weight', [nEmbd]],
    ['blk.0.attn_q.weight', [nEmbd, nEmbd]],
    ['blk.0.attn_k.weight', [nEmbd, nEmbd]],
    ['blk.0.attn_v.weight', [nEmbd, nEmbd]],
    ['blk.0.attn_output.weight', [nEmbd, nEmbd]],
    ['blk.0.ffn_norm.weight', [nEmbd]],
    ['blk.0.ffn_gate.weight', [nEmbd, nFf]],
    ['blk.0.ffn_up.weight', [nEmbd, nFf]],
    ['blk.0.ffn_down.weight', [nFf, nEmbd]],
  ];
  for (const [name, shape] of tensors) w.addTensorInfo(name, 0, shape);
  await w.writeHeader();
  let seed = 1;
  for (const [name, shape] of tensors) {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      v[i] = name.includes('norm') ? 1 : (seed / 2 ** 32 - 0.5) * 0.1;
    }
    await w.writeTensorData(new Uint8Array(v.buffer));
  }
  await w.close();
}
