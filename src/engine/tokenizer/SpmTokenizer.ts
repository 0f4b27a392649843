import { ModelLabError } from '../errors.js';
import { partitionSpecial, type SpecialTokenText } from './partitionSpecial.js';
import type { EncodeOptions, TextTokenizer } from './TextTokenizer.js';
import { SPACE_MARK, TOKEN_TYPE, byteTokenText, type TokenizerVocab } from './TokenizerVocab.js';

export class TokenizerError extends ModelLabError {
  override name = 'TokenizerError';
}

/**
 * Encodes and decodes text exactly as llama.cpp's SPM tokenizer ("llama" model) does, so that our engine can train
 * on token ids that llama.cpp later reproduces from the same text:
 * - spaces become "▁" (and one is prepended when addSpacePrefix is set);
 * - the text is split into Unicode characters; every adjacent pair whose concatenation is a vocabulary token is a
 *   candidate; the candidate with the highest score merges first (ties: the leftmost), and merging creates new
 *   candidates with the neighbours, until none is left;
 * - a final symbol that is not a token is emitted as its UTF-8 byte tokens.
 * Before that the text is cut at special-token texts (partitionSpecial): user-defined tokens always, control and
 * unknown tokens only with parseSpecial (llama.cpp's parse_special; node-llama-cpp's default is off). Each raw
 * piece is then encoded alone, and a piece that follows a special token (or starts the text) gets the space prefix.
 */
export class SpmTokenizer implements TextTokenizer {
  readonly vocab: TokenizerVocab;
  private readonly ids = new Map<string, number>();
  private readonly scores: Float32Array;
  private readonly byteIds = new Int32Array(256).fill(-1);
  /** Texts cut out of any text (user-defined tokens) and, with parseSpecial, also control and unknown ones. */
  private readonly alwaysSpecial: SpecialTokenText[] = [];
  private readonly parsedSpecial: SpecialTokenText[] = [];

  constructor(vocab: TokenizerVocab) {
    this.vocab = vocab;
    if (vocab.tokens.length !== vocab.scores.length || vocab.tokens.length !== vocab.types.length) {
      throw new TokenizerError('TOKENIZER_VOCAB', 'Tokenizer arrays (tokens, scores, types) differ in length.');
    }
    // llama.cpp keeps the first id of a duplicated text in its map only if inserted first; it inserts in id order
    // and later duplicates overwrite. Mirror that: last one wins.
    vocab.tokens.forEach((t, i) => this.ids.set(t, i));
    this.scores = Float32Array.from(vocab.scores);
    for (let b = 0; b < 256; b++) {
      const id = this.ids.get(byteTokenText(b));
      if (id !== undefined) this.byteIds[b] = id;
    }
    const strip = new Set(vocab.stripAfter ?? []);
    vocab.types.forEach((type, id) => {
      const s = { id, text: vocab.tokens[id]!, rstrip: strip.has(id) };
      if (type === TOKEN_TYPE.USER_DEFINED) this.alwaysSpecial.push(s);
      if (type === TOKEN_TYPE.USER_DEFINED || type === TOKEN_TYPE.CONTROL || type === TOKEN_TYPE.UNKNOWN) this.parsedSpecial.push(s);
    });
  }

  get size(): number {
    return this.vocab.tokens.length;
  }

  get vocabSize(): number {
    return this.vocab.tokens.length;
  }

  get bosId(): number {
    return this.vocab.bosId;
  }

  get eosId(): number {
    return this.vocab.eosId;
  }

  get addsBos(): boolean {
    return this.vocab.addBos;
  }

  tokenText(id: number): string {
    return this.vocab.tokens[id] ?? '';
  }

  tokenId(text: string): number | undefined {
    return this.ids.get(text);
  }

  /** Token ids of `text` (llama_tokenize with add_special = addBos, parse_special = parseSpecial). */
  encode(text: string, opts: EncodeOptions = {}): number[] {
    const out: number[] = [];
    const addSpecial = opts.addBos ?? false;
    if (addSpecial && this.vocab.addBos) out.push(this.vocab.bosId);
    const specials = opts.parseSpecial ? this.parsedSpecial : this.alwaysSpecial;
    const fragments = specials.length > 0 ? partitionSpecial(text, specials) : text.length > 0 ? [{ text }] : [];
    // llama.cpp prefixes the space to the text's start and to every piece right after a special token
    let afterSpecial = true;
    for (const f of fragments) {
      if ('id' in f) {
        out.push(f.id);
        afterSpecial = true;
        continue;
      }
      const prefixed = this.vocab.addSpacePrefix && afterSpecial ? ' ' + f.text : f.text;
      this.encodeSpm(prefixed.replaceAll(' ', SPACE_MARK), out);
      afterSpecial = false;
    }
    if (addSpecial && this.vocab.addEos) out.push(this.vocab.eosId);
    return out;
  }

  /** Text of token ids (llama_detokenize without special tokens: control tokens give nothing). */
  decode(ids: readonly number[]): string {
    const bytes: number[] = [];
    const enc = new TextEncoder();
    let removeSpace = this.vocab.addSpacePrefix;
    for (const id of ids) {
      const type = this.vocab.types[id];
      if (type === TOKEN_TYPE.NORMAL || type === TOKEN_TYPE.USER_DEFINED) {
        let piece = this.vocab.tokens[id]!;
        if (type === TOKEN_TYPE.NORMAL) piece = piece.replaceAll(SPACE_MARK, ' ');
        if (removeSpace && piece.startsWith(' ')) piece = piece.slice(1);
        for (const b of enc.encode(piece)) bytes.push(b);
      } else if (type === TOKEN_TYPE.BYTE) {
        bytes.push(parseInt(this.vocab.tokens[id]!.slice(3, 5), 16));
      }
      removeSpace = false;
    }
    return new TextDecoder().decode(Uint8Array.from(bytes));
  }

  private encodeSpm(text: string, out: number[]): void {
    // Symbols are Unicode characters; offsets and lengths in UTF-16 code units. The merge check below only needs
    // lengths that grow when a symbol changes, so code units work as well as llama.cpp's bytes.
    const n = countCodePoints(text);
    const start = new Int32Array(n);
    const len = new Int32Array(n);
    const prev = new Int32Array(n);
    const next = new Int32Array(n);
    let k = 0;
    for (let i = 0; i < text.length; k++) {
      const c = text.codePointAt(i)!;
      const w = c > 0xffff ? 2 : 1;
      start[k] = i;
      len[k] = w;
      prev[k] = k - 1;
      next[k] = i + w >= text.length ? -1 : k + 1;
      i += w;
    }

    const heap = new BigramHeap();
    const tryAdd = (left: number, right: number): void => {
      if (left < 0 || right < 0) return;
      const id = this.ids.get(text.substring(start[left]!, start[left]! + len[left]! + len[right]!));
      if (id === undefined) return;
      heap.push(left, right, this.scores[id]!, len[left]! + len[right]!);
    };
    for (let i = 1; i < n; i++) tryAdd(i - 1, i);

    while (heap.size > 0) {
      const { left, right, size } = heap.pop();
      if (len[left] === 0 || len[right] === 0 || len[left]! + len[right]! !== size) continue;
      len[left] = len[left]! + len[right]!;
      len[right] = 0;
      next[left] = next[right]!;
      if (next[right]! >= 0) prev[next[right]!] = left;
      tryAdd(prev[left]!, left);
      tryAdd(left, next[left]!);
    }

    const enc = new TextEncoder();
    for (let i = n > 0 ? 0 : -1; i !== -1; i = next[i]!) {
      const piece = text.substring(start[i]!, start[i]! + len[i]!);
      const id = this.ids.get(piece);
      if (id !== undefined) {
        out.push(id);
        continue;
      }
      for (const b of enc.encode(piece)) {
        const bid = this.byteIds[b]!;
        if (bid < 0) throw new TokenizerError('TOKENIZER_NO_BYTE', `The vocabulary has no byte token ${byteTokenText(b)}.`);
        out.push(bid);
      }
    }
  }
}

function countCodePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** Max-heap of merge candidates: higher score first, then the smaller left index (llama.cpp's order). */
class BigramHeap {
  private left: number[] = [];
  private right: number[] = [];
  private score: number[] = [];
  private sz: number[] = [];
  size = 0;

  private before(a: number, b: number): boolean {
    const sa = this.score[a]!;
    const sb = this.score[b]!;
    return sa > sb || (sa === sb && this.left[a]! < this.left[b]!);
  }

  private swap(a: number, b: number): void {
    for (const arr of [this.left, this.right, this.score, this.sz]) {
      const t = arr[a]!;
      arr[a] = arr[b]!;
      arr[b] = t;
    }
  }

  push(left: number, right: number, score: number, size: number): void {
    let i = this.size++;
    this.left[i] = left;
    this.right[i] = right;
    this.score[i] = score;
    this.sz[i] = size;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  pop(): { left: number; right: number; size: number } {
    const top = { left: this.left[0]!, right: this.right[0]!, size: this.sz[0]! };
    const last = --this.size;
    if (last > 0) {
      this.left[0] = this.left[last]!;
      this.right[0] = this.right[last]!;
      this.score[0] = this.score[last]!;
      this.sz[0] = this.sz[last]!;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < last && this.before(l, m)) m = l;
        if (r < last && this.before(r, m)) m = r;
        if (m === i) break;
        this.swap(i, m);
        i = m;
      }
    }
    return top;
  }
}
