/**
 * Each generated token's share of the text, as a client streaming the reply would see it: a token that ends inside
 * a UTF-8 character (byte-level BPE splits characters across tokens) shows nothing, and the token that finishes the
 * character shows all of it. Per-token detokenizing instead gives every such token its own replacement character,
 * so the pieces would not add up to the text. Concatenated, the pieces are `detokenize(ids, before)`.
 * `before`: the tokens before `ids` (the prompt), so a leading space comes out as it does in the text.
 */
export function streamedPieces(ids: number[], before: number[], detokenize: (ids: number[], before: number[]) => string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < ids.length; i++) {
    const span = detokenize(ids.slice(start, i + 1), [...before, ...ids.slice(0, start)].slice(-4));
    // a character is at most 4 bytes: past that, the bytes are not UTF-8 and stay replacement characters
    if (span.endsWith('\ufffd') && i + 1 < ids.length && i - start < 3) {
      out.push('');
      continue;
    }
    out.push(span);
    start = i + 1;
  }
  return out;
}
