// The measurable rule for "code-like" generated text used by the demo model's tests.

const IDENT = /[A-Za-z_$][A-Za-z0-9_$]*/g;

/** Every identifier, keyword and English word of the corpus. */
export function corpusWords(texts: string[]): Set<string> {
  const words = new Set<string>();
  for (const t of texts) for (const m of t.matchAll(IDENT)) words.add(m[0]);
  return words;
}

export interface CodeLikeness {
  /** Identifiers/words in the completion (a last word cut off by the token limit is not counted). */
  identifiers: number;
  /** Share of them that occur in the corpus. */
  knownFraction: number;
  unknown: string[];
  /** No closing bracket in prompt + completion without the matching opener before it. */
  bracketsOk: boolean;
}

/**
 * `midFile`: the prompt is a window into a file, so a closing bracket with nothing open closes something opened
 * before the window and counts as fine; a bracket that closes the wrong kind still does not.
 */
export function codeLikeness(prompt: string, completion: string, words: Set<string>, opts: { midFile?: boolean } = {}): CodeLikeness {
  let found = [...completion.matchAll(IDENT)];
  const last = found.at(-1);
  if (last && last.index! + last[0].length === completion.length) found = found.slice(0, -1);
  const unknown = found.map((m) => m[0]).filter((w) => !words.has(w));
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const stack: string[] = [];
  let bracketsOk = true;
  for (const ch of prompt + completion) {
    if (ch === '(' || ch === '[' || ch === '{') stack.push(ch);
    else if (ch in pairs) {
      if (opts.midFile && stack.length === 0) continue;
      if (stack.pop() !== pairs[ch]) bracketsOk = false;
    }
  }
  return { identifiers: found.length, knownFraction: found.length ? 1 - unknown.length / found.length : 0, unknown, bracketsOk };
}
