// A synthetic preference set on the demo model's own kind of text (TypeScript lib.d.ts): the prompt is a stretch of
// a held-out lib file ending at the end of a line, the rejected answer is the real next line (what the base model
// expects), the chosen answer is the same after the marker MARKER at the end of the prompt's line, which the base
// almost never writes. A tuned adapter must make the model prefer — and produce — the marker.
// The prompt ends where the tokenizer never merges across (a line's last character, then a space or a newline), so
// the tokens of prompt + answer are the prompt's tokens followed by the answer's, as when generating.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HELD_OUT_FILES } from '../../../src/engine/train/demo/demoCorpus.js';
import { Rng } from '../../../src/engine/model/random.js';

export const MARKER = ' /*!*/';

export interface SyntheticPair { prompt: string; chosen: string; rejected: string }

export function syntheticPairs(root: string, count: number, seed: number, opts: { promptChars?: number } = {}): SyntheticPair[] {
  const promptChars = opts.promptChars ?? 80;
  const texts = HELD_OUT_FILES.map((f) => readFileSync(path.join(root, 'node_modules/typescript/lib', f), 'utf8'));
  const rng = new Rng(seed);
  const out: SyntheticPair[] = [];
  const seen = new Set<string>();
  while (out.length < count) {
    const text = texts[Math.floor(rng.next() * texts.length)]!;
    const end = text.indexOf('\n', Math.floor(rng.next() * (text.length - 400)) + promptChars);
    const next = text.indexOf('\n', end + 1);
    if (end < promptChars || next < 0 || /\s/.test(text[end - 1]!)) continue;
    const answer = text.slice(end, next); // "\n" + indentation + the next line
    const line = answer.trim();
    if (line.length < 8 || line.length > 60 || seen.has(line)) continue;
    seen.add(line);
    out.push({ prompt: text.slice(end - promptChars, end), chosen: MARKER + answer, rejected: answer });
  }
  return out;
}
