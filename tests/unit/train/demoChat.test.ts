// The demo model's chat-shaped slice: doc comments as questions, the declarations after them as answers, rendered
// token for token as the demo's chat template renders them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Template } from '@huggingface/jinja';
import { chatPairTokens, DEMO_CHAT_TEMPLATE, DEMO_CHAT_TOKENS, demoChatSlice, docCommentPairs } from '../../../src/engine/train/demo/demoChat.js';
import type { CorpusFile } from '../../../src/engine/train/demo/demoCorpus.js';

const SOURCE = `/*! licence header: not a doc comment */
interface Object {
    /** Returns a string representation of an object. */
    toString(): string;

    /**
     * Determines whether an object has a property with the specified name.
     * @param v A property name.
     */
    hasOwnProperty(v: PropertyKey): boolean;

    /** Too short. */
    valueOf(): Object;
}

/**
 * The **\`Example\`** interface of the DOM.
 *
 * [MDN Reference](https://developer.mozilla.org/docs/Web/API/Example)
 */
interface Example extends EventTarget {
    /** A comment that documents nothing at all */

    /**
     * Combines two or more arrays, with its signature
     * broken over lines.
     */
    concat(
        ...items: ConcatArray<T>[]
    ): T[];
}
`;

test('each doc comment becomes a question, the declaration right after it the answer', () => {
  assert.deepEqual(docCommentPairs(SOURCE), [
    { user: 'Returns a string representation of an object.', assistant: 'toString(): string;' },
    { user: 'Determines whether an object has a property with the specified name.\n@param v A property name.', assistant: 'hasOwnProperty(v: PropertyKey): boolean;' },
    { user: 'The **`Example`** interface of the DOM.', assistant: 'interface Example extends EventTarget {' },
    { user: 'Combines two or more arrays, with its signature\nbroken over lines.', assistant: 'concat(\n...items: ConcatArray<T>[]\n): T[];' },
  ], 'gutters and MDN link lines go; short comments and comments followed by a blank line give nothing');
});

const file = (name: string, text: string): CorpusFile => ({ name, split: 'train', chars: text.length, sha256: '', text });

test('the slice drops repeated pairs and thins a file that would give more than its share', () => {
  const big = Array.from({ length: 40 }, (_, i) => `/** Returns the element at index ${i} of the list. */\nat${i}(): T;\n`).join('');
  const small = '/** Returns a string representation of an object. */\ntoString(): string;\n';
  const files = [file('lib.small.d.ts', small), file('lib.big.d.ts', big), file('lib.again.d.ts', small)];
  const slice = demoChatSlice(files, 0.2);
  assert.equal(slice.found, 42);
  const bigChars = docCommentPairs(big).reduce((s, p) => s + p.user.length + p.assistant.length, 0);
  const stride = Math.ceil(bigChars / (0.2 * (2 * small.length + big.length)));
  assert.ok(stride > 1, 'the big file is over its share');
  assert.deepEqual(slice.thinned, { 'lib.big.d.ts': stride });
  assert.equal(slice.pairs.length, 1 + Math.ceil(40 / stride), 'one copy of the repeated pair, every n-th pair of the big file');
  assert.equal(slice.pairs[1]!.assistant, 'at0(): T;');
  assert.equal(slice.pairs[2]!.assistant, `at${stride}(): T;`);
  assert.deepEqual(demoChatSlice(files, 0.2), slice, 'deterministic');
});

test('a pair as tokens is the template-rendered conversation, markers as their control tokens', () => {
  const pair = { user: 'Returns a string.', assistant: 'toString(): string;' };
  const rendered = new Template(DEMO_CHAT_TEMPLATE).render({
    messages: [{ role: 'user', content: pair.user }, { role: 'assistant', content: pair.assistant }],
    add_generation_prompt: false, eos_token: '<|endoftext|>', bos_token: '<s>',
  });
  assert.equal(rendered, '<|user|>\nReturns a string.<|end|>\n<|assistant|>\ntoString(): string;<|end|>\n<|endoftext|>');
  // A stand-in tokenizer: one id per character, the markers above 1000.
  const special = (t: typeof DEMO_CHAT_TOKENS[number]): number => 1000 + DEMO_CHAT_TOKENS.indexOf(t);
  const ids = chatPairTokens(pair, (t) => [...t].map((c) => c.codePointAt(0)!), special);
  const text = ids.map((id) => (id >= 1000 ? DEMO_CHAT_TOKENS[id - 1000] : String.fromCodePoint(id))).join('');
  assert.equal(text, rendered);
  const prompt = new Template(DEMO_CHAT_TEMPLATE).render({ messages: [{ role: 'user', content: 'Hi' }], add_generation_prompt: true, eos_token: '<|endoftext|>' });
  assert.equal(prompt, '<|user|>\nHi<|end|>\n<|assistant|>\n', 'a reply is prompted with the assistant marker');
  const system = new Template(DEMO_CHAT_TEMPLATE).render({ messages: [{ role: 'system', content: 'S' }, { role: 'user', content: 'Hi' }], add_generation_prompt: true });
  assert.equal(system, '<|system|>\nS<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\n');
});
