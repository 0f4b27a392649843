// Generate Alternatives' prompt fits the model's context with room for the answer, counted by the demo model's own
// tokenizer: the code around the selection gives way (nearest lines kept, whole lines), the selection never does.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readGguf } from '../../../src/engine/gguf/index.js';
import { SpmTokenizer, tokenizerVocabFromGguf } from '../../../src/engine/tokenizer/index.js';
import { buildAlternativesPrompt } from '../../../src/host/label/buildAlternativesPrompt.js';
import { CHAT_TEMPLATE_RESERVE, fitAlternativesPrompt } from '../../../src/host/label/fitAlternativesPrompt.js';
import { ModelLabError } from '../../../src/engine/errors.js';

let countTokens: (text: string) => Promise<number>;
before(async () => {
  const tok = new SpmTokenizer(tokenizerVocabFromGguf((await readGguf('media/models/demo.gguf')).metadata));
  countTokens = async (text) => 1 + tok.encode(text).length; // BOS first, as the runtime counts
});

const lines = (from: number, to: number): string => Array.from({ length: to - from }, (_, i) => `const value${from + i} = compute(${from + i});\n`).join('');
const SELECTION = 'return a - b;';
const long = { selection: SELECTION, before: lines(0, 60) + 'function sub(a: number, b: number): number {\n  ', after: '\n}\n' + lines(60, 120), language: 'typescript', file: 'src/m.ts' };

test('a prompt that fits is the prompt as built', async () => {
  const input = { selection: SELECTION, before: 'function sub(a, b) {\n  ', after: '\n}\n', language: 'typescript', file: 'm.ts' };
  for (const chat of [true, false]) {
    const p = await fitAlternativesPrompt(input, { chat }, { contextSize: 256, maxTokens: 96, countTokens });
    assert.deepEqual(p, buildAlternativesPrompt(input, { chat }));
  }
});

for (const contextSize of [256, 512]) {
  test(`on a ${contextSize}-token context the surroundings are cut to leave the answer its tokens; the nearest lines stay`, async () => {
    const full = buildAlternativesPrompt(long, { chat: true });
    assert.ok((await countTokens(full.prompt)) > contextSize, 'the uncut prompt would not fit');
    const room = contextSize - 96 - CHAT_TEMPLATE_RESERVE;
    const p = await fitAlternativesPrompt(long, { chat: true }, { contextSize, maxTokens: 96, countTokens });
    const n = await countTokens(p.prompt);
    assert.ok(n <= room, `${n} tokens`);
    assert.ok(n > room - 25, `${n} tokens: not cut more than it must be (a line is about 12)`);
    assert.ok(p.prompt.includes(`function sub(a: number, b: number): number {\n  ${SELECTION}\n}\n`), 'the selection and the lines next to it');
    assert.ok(!p.prompt.includes('value0 ') && !p.prompt.includes('value119 '), 'the furthest lines go');
    assert.match(p.prompt, /```typescript\n(const value\d+ = compute\(\d+\);\n|function sub)/, 'the code starts at a line start');
    if (contextSize === 512) assert.ok(p.prompt.includes('value59 ') && p.prompt.includes('value60 '), 'lines on both sides');
    assert.deepEqual(p.promptData, { messages: [{ role: 'user', content: p.prompt }] });
  });
}

test('raw completion keeps the code just before the cursor, whole lines', async () => {
  const p = await fitAlternativesPrompt(long, { chat: false }, { contextSize: 128, maxTokens: 64, countTokens });
  assert.ok((await countTokens(p.prompt)) <= 64);
  assert.ok(p.prompt.endsWith('function sub(a: number, b: number): number {\n  '));
  assert.match(p.prompt, /^const value\d+ = compute/);
  assert.deepEqual(p.promptData, { text: p.prompt });
});

test('a selection that cannot fit with the answer is refused with what to change', async () => {
  const big = { ...long, selection: lines(200, 230) };
  await assert.rejects(fitAlternativesPrompt(big, { chat: true }, { contextSize: 256, maxTokens: 96, countTokens }), (e: unknown) => {
    assert.ok(e instanceof ModelLabError && e.code === 'PROMPT_TOO_LONG');
    assert.match(e.message, /context holds 256.*select less, shorten modelLab\.label\.instruction or lower modelLab\.label\.maxTokens/);
    return true;
  });
});
