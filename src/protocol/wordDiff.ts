/** One run of a word diff: text both sides share, or text only the second (`added`) or the first (`removed`) has. */
export interface DiffPart {
  op: 'same' | 'added' | 'removed';
  text: string;
}

/** Words and the runs of white space between them, so that joining the parts gives the texts back. */
function words(text: string): string[] {
  return text.match(/\S+|\s+/g) ?? [];
}

/**
 * Word diff of two texts (longest common subsequence over words and white-space runs). Joining
 * the `same` and `removed` parts gives `a`, the `same` and `added` parts give `b`. Texts of more than 4000 words
 * each are compared as two opaque blocks (the table would be too large for a webview).
 */
export function wordDiff(a: string, b: string): DiffPart[] {
  const x = words(a);
  const y = words(b);
  if (x.length * y.length > 16_000_000) return [...(a ? [{ op: 'removed' as const, text: a }] : []), ...(b ? [{ op: 'added' as const, text: b }] : [])];
  // lcs[i][j] = LCS length of x[i..] and y[j..], one row per i
  const n = x.length, m = y.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const parts: DiffPart[] = [];
  const push = (op: DiffPart['op'], text: string): void => {
    const last = parts.at(-1);
    if (last?.op === op) last.text += text;
    else parts.push({ op, text });
  };
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) {
      push('same', x[i]!);
      i++;
      j++;
    } else if (j < m && (i >= n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) push('added', y[j++]!);
    else push('removed', x[i++]!);
  }
  return parts;
}
