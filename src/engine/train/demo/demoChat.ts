import type { CorpusFile } from './demoCorpus.js';

/**
 * Phi-3's chat markers, as control tokens at the end of the demo vocabulary (Phi-3 puts them after its SPM pieces
 * too). `<|endoftext|>` is the end-of-sequence token (it separates the corpus files, as in Phi-3's pretraining);
 * llama.cpp takes `<|end|>` as end-of-turn by its text (Phi-3's own GGUF files name no EOT token either) and stops
 * generating at it, as at EOS, so node-llama-cpp's chat replies end there.
 */
export const DEMO_CHAT_TOKENS = ['<|endoftext|>', '<|assistant|>', '<|system|>', '<|end|>', '<|user|>'] as const;
export type DemoChatToken = typeof DEMO_CHAT_TOKENS[number];

/**
 * The demo model's chat template (`tokenizer.chat_template`): Phi-3's conversation format, each turn
 * `<|role|>\n` + content + `<|end|>\n`, then `<|assistant|>\n` when a reply is wanted (else the EOS token).
 * llama.cpp recognizes it as its 'phi3' template (it has `<|assistant|>` and `<|end|>`).
 */
export const DEMO_CHAT_TEMPLATE =
  "{% for message in messages %}" +
  "{% if message['role'] in ['system', 'user', 'assistant'] %}{{ '<|' + message['role'] + '|>\n' + message['content'] + '<|end|>\n' }}{% endif %}" +
  "{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}";

/** One chat-shaped example: a doc comment as the question, the declaration it documents as the answer. */
export interface DocChatPair {
  user: string;
  assistant: string;
}

/** Doc comments shorter than this (after clean-up) say too little to ask about ("Returns a Promise." is kept). */
const MIN_USER_CHARS = 16;
/** An answer is the declaration's first statement: at most this many lines (a signature broken over lines). */
const MAX_DECL_LINES = 4;

/**
 * Every `/** … *\/` comment of a file with the declaration right after it, as (user, assistant) text. The comment
 * loses its `*` gutters and its "[MDN Reference](…)" link lines (a link is not something to ask about, and DOM links
 * are what the old demo drifted into); `@tag` lines stay (they name parameters). The declaration runs to the first
 * line ending in `;`, `{` or `}`. Comments with nothing after them, or too short, give no pair.
 */
export function docCommentPairs(text: string): DocChatPair[] {
  const out: DocChatPair[] = [];
  const re = /\/\*\*([\s\S]*?)\*\//g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const user = m[1]!
      .split('\n')
      .map((l) => l.replace(/^\s*\*\s?/, '').trim())
      .filter((l) => l.length > 0 && !/^\[MDN Reference\]\(.*\)$/.test(l))
      .join('\n')
      .trim();
    if (user.length < MIN_USER_CHARS) continue;
    const after = text.slice(re.lastIndex).split('\n');
    const decl: string[] = [];
    // after[0] is the rest of the comment's closing line (usually empty)
    for (let i = after[0]!.trim() ? 0 : 1; i < after.length && decl.length < MAX_DECL_LINES; i++) {
      const line = after[i]!.trim();
      if (line.length === 0 || line.startsWith('/*') || line.startsWith('//')) break;
      decl.push(line);
      if (/[;{}]$/.test(line)) break;
    }
    const assistant = decl.join('\n');
    if (assistant.length === 0 || !/[;{}]$/.test(assistant)) continue;
    out.push({ user, assistant });
  }
  return out;
}

export interface DemoChatSlice {
  pairs: DocChatPair[];
  /** Pairs found before de-duplication and thinning. */
  found: number;
  /** Files whose pairs were thinned, with the stride kept (every n-th pair). */
  thinned: Record<string, number>;
}

/**
 * The chat-shaped slice of the training split: the doc-comment pairs of the training files (never the held-out
 * ones), de-duplicated, and no file giving more than `fileShare` of the training text: lib.dom.d.ts alone has three
 * quarters of all pairs (thousands of "The **`x`** property of …" comments), so it keeps every n-th of its pairs
 * and the ES lib files, whose comments read like questions about the language, keep all of theirs.
 * Deterministic: file order, then position in the file.
 */
export function demoChatSlice(train: readonly CorpusFile[], fileShare: number): DemoChatSlice {
  const seen = new Set<string>();
  const pairs: DocChatPair[] = [];
  const thinned: Record<string, number> = {};
  const cap = fileShare * train.reduce((s, f) => s + f.chars, 0);
  let found = 0;
  for (const f of train) {
    const distinct: DocChatPair[] = [];
    for (const p of docCommentPairs(f.text)) {
      found++;
      const key = `${p.user}\0${p.assistant}`;
      if (seen.has(key)) continue;
      seen.add(key);
      distinct.push(p);
    }
    const chars = distinct.reduce((s, p) => s + p.user.length + p.assistant.length, 0);
    const stride = Math.max(1, Math.ceil(chars / cap));
    if (stride > 1) thinned[f.name] = stride;
    pairs.push(...distinct.filter((_, i) => i % stride === 0));
  }
  return { pairs, found, thinned };
}

/**
 * Token ids of a pair rendered as DEMO_CHAT_TEMPLATE renders it (add_generation_prompt false): the markers as
 * their control-token ids (llama.cpp parses them from the rendered text the same way), the rest through `encode`.
 */
export function chatPairTokens(pair: DocChatPair, encode: (text: string) => number[], special: (t: DemoChatToken) => number): number[] {
  return [
    special('<|user|>'), ...encode(`\n${pair.user}`), special('<|end|>'), ...encode('\n'),
    special('<|assistant|>'), ...encode(`\n${pair.assistant}`), special('<|end|>'), ...encode('\n'),
    special('<|endoftext|>'),
  ];
}
