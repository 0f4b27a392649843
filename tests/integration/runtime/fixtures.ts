// Files the runtime tests generate: small random models (src/engine/synth) and hand-written LoRA adapters.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GGUF_VALUE_TYPE as V, metadataEntries, readGguf, tensorDataStream, writeGguf } from '../../../src/engine/gguf/index.js';
import { writeTestModel, type TestModelOptions } from '../../../src/engine/synth/index.js';

/** The runtime child from source (RuntimeClient runs a .ts entry under tsx). */
export const RUNTIME_SOURCE_ENTRY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src/runtime/main.ts');

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
}

export async function testModel(dir: string, name = 'model.gguf', opts: Partial<TestModelOptions> = {}): Promise<string> {
  const p = path.join(dir, name);
  await writeTestModel(p, { arch: 'llama', seed: 7, ...opts });
  return p;
}

/** A deterministic pseudo-random F32 tensor as little-endian bytes. */
function randomF32(n: number, seed: number, scale: number): Uint8Array {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = ((s / 2 ** 32) * 2 - 1) * scale;
  }
  return new Uint8Array(a.buffer);
}

/**
 * A LoRA adapter GGUF (layout in docs/dev/FORMATS.md): `<base>.lora_a` ne [n_in, r], `<base>.lora_b` ne [r, n_out], F32.
 * `targets` maps base tensor names to their [n_in, n_out].
 */
export async function writeTestLora(
  file: string,
  opts: { arch?: string; rank?: number; alpha?: number; seed?: number; scale?: number; targets: Record<string, [number, number]> },
): Promise<string> {
  const r = opts.rank ?? 4;
  const tensors = [];
  let seed = opts.seed ?? 11;
  for (const [name, [nIn, nOut]] of Object.entries(opts.targets)) {
    tensors.push({ name: `${name}.lora_a`, type: 0, shape: [nIn, r], data: randomF32(nIn * r, seed++, opts.scale ?? 1) });
    tensors.push({ name: `${name}.lora_b`, type: 0, shape: [r, nOut], data: randomF32(r * nOut, seed++, opts.scale ?? 1) });
  }
  await writeGguf(file, {
    metadata: [
      { key: 'general.architecture', type: V.STRING, value: opts.arch ?? 'llama' },
      { key: 'general.type', type: V.STRING, value: 'adapter' },
      { key: 'adapter.type', type: V.STRING, value: 'lora' },
      { key: 'adapter.lora.alpha', type: V.FLOAT32, value: opts.alpha ?? r },
    ],
    tensors,
  });
  return file;
}

/** Adapter on every layer's attn_q and ffn_up of a llama test model with n_embd e, n_ff f. */
export function llamaTargets(nLayer: number, nEmbd: number, nFf: number): Record<string, [number, number]> {
  const t: Record<string, [number, number]> = {};
  for (let l = 0; l < nLayer; l++) {
    t[`blk.${l}.attn_q.weight`] = [nEmbd, nEmbd];
    t[`blk.${l}.ffn_up.weight`] = [nEmbd, nFf];
  }
  return t;
}

/** A copy of a model with `tokenizer.chat_template` set (the synth models have none). */
export async function withChatTemplate(src: string, out: string, template: string): Promise<string> {
  const g = await readGguf(src);
  await writeGguf(out, {
    metadata: [...metadataEntries(g).filter((e) => e.key !== 'tokenizer.chat_template'), { key: 'tokenizer.chat_template', type: V.STRING, value: template }],
    tensors: g.tensors.map((t) => ({ name: t.name, type: t.type, shape: t.shape, data: () => tensorDataStream(g, t) })),
  });
  return out;
}
