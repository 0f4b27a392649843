// The prompt set of a win-rate evaluation (model-lab eval --prompts, the Evaluate panel).
import { ModelLabError } from '../engine/errors.js';
import { readUtf8File } from '../workspace/readUtf8File.js';

/** Prompts: JSON lines with a "prompt" string (.jsonl), or one prompt per non-empty line of a text file. */
export async function readPrompts(file: string): Promise<string[]> {
  const text = await readUtf8File(file);
  const lines = text.split(/\r?\n/);
  if (!/\.jsonl$/i.test(file)) return lines.filter((l) => l.trim() !== '');
  const prompts: string[] = [];
  lines.forEach((l, i) => {
    if (l.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch {
      throw new ModelLabError('BAD_PROMPTS', `${file} line ${i + 1}: not valid JSON`);
    }
    const p = (v as { prompt?: unknown } | null)?.prompt;
    if (typeof p !== 'string' || p === '') throw new ModelLabError('BAD_PROMPTS', `${file} line ${i + 1}: needs a non-empty "prompt" string`);
    prompts.push(p);
  });
  return prompts;
}
