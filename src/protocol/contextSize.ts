// One rule for the context size of a new session, used by the runtime, the Playground and Inspect's memory
// estimate: the `modelLab.contextSize` setting, but never more than the context the model was trained with (beyond
// it llama.cpp warns and the model's output degrades).

/** The `modelLab.contextSize` default (package.json repeats it). */
export const DEFAULT_CONTEXT_SIZE = 4096;

export interface ContextChoice {
  size: number;
  /** Set when the setting asks for more than the model's trained context: says so in one sentence. */
  note: string | null;
}

/** min(setting, trained context); a missing or zero trained context leaves the setting as it is. */
export function chooseContextSize(setting: number | null | undefined, trainContext: number | null | undefined): ContextChoice {
  const want = setting && setting > 0 ? Math.floor(setting) : DEFAULT_CONTEXT_SIZE;
  if (!trainContext || trainContext <= 0 || want <= trainContext) return { size: want, note: null };
  return {
    size: trainContext,
    note: `Context ${trainContext} tokens: the model was trained with ${trainContext}, less than modelLab.contextSize (${want}).`,
  };
}
