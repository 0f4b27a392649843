// llama.cpp log-probs of a file at full precision (F32 KV cache, no flash attention), for the pruning tests.
import { EXACT_SCORING_CONTEXT, scoreTokens } from '../../../src/runtime/core/scoreTokens.js';

type Llama = { loadModel(o: { modelPath: string }): Promise<{ createContext(o: object): Promise<{ getSequence(): unknown; dispose(): Promise<void> }>; dispose(): Promise<void> }> };

let llama: (Llama & { dispose(): Promise<void> }) | undefined;

export async function llamaCpp(): Promise<Llama> {
  if (!llama) {
    const { getLlama } = await import('node-llama-cpp');
    llama = (await getLlama({ gpu: false, build: 'never' })) as unknown as Llama & { dispose(): Promise<void> };
  }
  return llama;
}

export async function disposeLlamaCpp(): Promise<void> {
  await llama?.dispose();
  llama = undefined;
}

/** ln p(tokens[i] | tokens[<i]) for i = 1…n−1 as llama.cpp computes them on the file. */
export async function llamaLogprobs(file: string, tokens: number[]): Promise<number[]> {
  const m = await (await llamaCpp()).loadModel({ modelPath: file });
  try {
    const ctx = await m.createContext({ contextSize: 256, threads: 2, ...EXACT_SCORING_CONTEXT });
    try {
      const seq = ctx.getSequence() as Parameters<typeof scoreTokens>[0];
      return (await scoreTokens(seq, tokens, { window: 256 })).logprobs.slice(1) as number[];
    } finally {
      await ctx.dispose();
    }
  } finally {
    await m.dispose();
  }
}

/** Deterministic token ids in [3, vocab). */
export function promptTokens(n: number, vocab: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return 3 + (s % (vocab - 3)); });
}

export function meanAbsDiff(a: number[], b: number[]): number {
  return a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;
}

export function maxAbsDiff(a: number[], b: number[]): number {
  return a.reduce((s, v, i) => Math.max(s, Math.abs(v - b[i])), 0);
}
