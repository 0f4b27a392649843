// How far a merged model is from its base with an adapter at scale 1, in llama.cpp's log-probs on a short text:
// `moved` is how much the adapter changes the base at all (a check that the comparison means something), `worst`
// the largest per-token difference between the merged file and base + adapter.
import { LlamaRuntime } from '../../../src/runtime/core/LlamaRuntime.js';

export const MERGE_TEXT = 'the model and the data of the world is good for the new code file and the test value';

export async function mergedVsAdapter(base: string, merged: string, adapter: string): Promise<{ moved: number; worst: number }> {
  const rt = new LlamaRuntime();
  await rt.initialize({ gpu: 'off', threads: 2, logLevel: 'error' });
  try {
    await rt.loadModel({ id: 'base', path: base });
    await rt.loadModel({ id: 'merged', path: merged });
    const plain = await rt.logprobs({ modelId: 'base', text: MERGE_TEXT });
    const withAdapter = await rt.logprobs({ modelId: 'base', text: MERGE_TEXT, lora: [{ path: adapter, scale: 1 }] });
    const folded = await rt.logprobs({ modelId: 'merged', text: MERGE_TEXT });
    let moved = 0, worst = 0;
    for (let i = 1; i < plain.logprobs.length; i++) {
      moved = Math.max(moved, Math.abs(withAdapter.logprobs[i]! - plain.logprobs[i]!));
      worst = Math.max(worst, Math.abs(folded.logprobs[i]! - withAdapter.logprobs[i]!));
    }
    return { moved, worst };
  } finally {
    await rt.dispose();
  }
}
