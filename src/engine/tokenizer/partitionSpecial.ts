/** A piece of text still to be tokenized, or a special token found in the text. */
export type TextFragment = { text: string } | { id: number };

/** A token whose text llama.cpp cuts out of raw text before tokenizing the rest. */
export interface SpecialTokenText {
  id: number;
  text: string;
  /** Whitespace right after the token is dropped (llama.cpp's RSTRIP attribute). */
  rstrip: boolean;
}

// C's isspace in the default locale: what llama.cpp's strip tests
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';

/**
 * Splits `text` at the texts of `specials` the way llama.cpp's special-token partition does: one token at a time,
 * longest text first (ties, which llama.cpp leaves unordered: the lower id), every occurrence in every fragment still raw, left to right; the text
 * between stays raw and an RSTRIP token swallows the whitespace after it. Doing the tokens in that order (not a
 * single longest-match scan) matters where two texts overlap: llama.cpp takes the longer even if a shorter one
 * starts earlier. Empty raw fragments are not kept.
 */
export function partitionSpecial(text: string, specials: readonly SpecialTokenText[]): TextFragment[] {
  let fragments: TextFragment[] = text.length > 0 ? [{ text }] : [];
  for (const s of sortSpecials(specials)) {
    if (s.text.length === 0) continue;
    const next: TextFragment[] = [];
    for (const f of fragments) {
      if (!('text' in f)) {
        next.push(f);
        continue;
      }
      let rest = f.text;
      for (;;) {
        const at = rest.indexOf(s.text);
        if (at < 0) {
          if (rest.length > 0) next.push({ text: rest });
          break;
        }
        if (at > 0) next.push({ text: rest.slice(0, at) });
        next.push({ id: s.id });
        let from = at + s.text.length;
        if (s.rstrip) while (from < rest.length && isSpace(rest[from]!)) from++;
        rest = rest.slice(from);
      }
    }
    fragments = next;
  }
  return fragments;
}

const sorted = new WeakMap<readonly SpecialTokenText[], SpecialTokenText[]>();

function sortSpecials(specials: readonly SpecialTokenText[]): SpecialTokenText[] {
  let s = sorted.get(specials);
  if (!s) {
    // llama.cpp compares UTF-8 lengths; a token text's byte length orders it as llama.cpp does
    const enc = new TextEncoder();
    const bytes = (t: string): number => enc.encode(t).length;
    s = [...specials].sort((a, b) => bytes(b.text) - bytes(a.text) || a.id - b.id);
    sorted.set(specials, s);
  }
  return s;
}
