/**
 * Word-level diff of two candidate texts for the Label panel: the longest common subsequence of their tokens
 * (words, whitespace runs and punctuation), as runs of kept, inserted and deleted text. Texts past MAX_TOKENS
 * tokens are not diffed (the table is quadratic) and come back as one deletion and one insertion.
 */
export type DiffRun = { op: 'same' | 'add' | 'del'; text: string };

const MAX_TOKENS = 1500;

export function tokenize(s: string): string[] {
  return s.match(/\s+|[A-Za-z0-9_]+|[^\sA-Za-z0-9_]/g) ?? [];
}

/** Runs that turn `base` into `other`. */
export function diffWords(base: string, other: string): DiffRun[] {
  const a = tokenize(base);
  const b = tokenize(other);
  if (a.length > MAX_TOKENS || b.length > MAX_TOKENS) {
    return [...(base ? [{ op: 'del' as const, text: base }] : []), ...(other ? [{ op: 'add' as const, text: other }] : [])];
  }
  // lcs[i][j]: common tokens of a[i..] and b[j..], in one flat array [(n+1) × (m+1)].
  const n = a.length;
  const m = b.length;
  const w = m + 1;
  const lcs = new Uint16Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * w + j] = a[i] === b[j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
    }
  }
  const runs: DiffRun[] = [];
  const push = (op: DiffRun['op'], text: string) => {
    const last = runs[runs.length - 1];
    if (last && last.op === op) last.text += text;
    else runs.push({ op, text });
  };
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      push('same', a[i]);
      i++;
      j++;
    } else if (i < n && (j === m || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])) {
      // On a tie the deletion comes first: "- old + new" reads better than the reverse.
      push('del', a[i++]);
    } else {
      push('add', b[j++]);
    }
  }
  return runs;
}
