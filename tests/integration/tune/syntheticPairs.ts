// A synthetic preference set on the demo model's own kind of text (TypeScript lib.d.ts): the prompt is a stretch of
// a held-out lib file ending at a line start, the rejected answer is the real next line (what the base model
// expects), the chosen answer is the same line after the marker MARKER, which the base almost never writes. A
// tuned adapter must make the model prefer — and produce — the marker.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HELD_OUT_FILES } from '../../../src/engine/train/demo/demoCorpus.js';
import { Rng } from '../../../src/engine/model/random.js';

export const MARKER = '/*!*/ ';

export interface SyntheticPair { prompt: string; chosen: string; rejected: string }

export function syntheticPairs(root: string, count: number, seed: number, opts: { promptChars?: number } = {}): SyntheticPair[] {
  const promptChars = opts.promptChars ?? 80;
  const texts = HELD_OUT_FILES.map((f) => readFileSync(path.join(root, 'node_modules/typescript/lib', f), 'utf8'));
  const rng = new Rng(seed);
  const out: SyntheticPair[] = [];
  const seen = new Set<string>();
  while (out.length < count) {
    const text = texts[Math.floor(rng.next() * texts.length)]!;
    const at = Math.floor(rng.next() * (text.length - 400)) + promptChars;
    const lineStart = text.indexOf('\n', at) + 1;
    if (lineStart <= 0) continue;
    const indent = /^[ \t]*/.exec(text.slice(lineStart))![0];
    const bodyStart = lineStart + indent.length;
    const lineEnd = text.indexOf('\n', bodyStart);
    const line = text.slice(bodyStart, lineEnd);
    if (line.length < 8 || line.length > 60 || seen.has(line)) continue;
    seen.add(line);
    const prompt = text.slice(bodyStart - promptChars - indent.length, bodyStart);
    out.push({ prompt, chosen: MARKER + line, rejected: line });
  }
  return out;
}
