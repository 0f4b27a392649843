import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodePairs, pairTexts, parseTrlPairs } from '../../../src/engine/tune/index.js';
import { SpmTokenizer } from '../../../src/engine/tokenizer/index.js';
import { spmVocab } from '../../../src/engine/synth/index.js';

test('TRL JSONL: string pairs, message lists, implicit prompts; a bad line names its number', () => {
  const lines = [
    JSON.stringify({ prompt: 'Q', chosen: ' good', rejected: ' bad', extra: 1 }),
    '',
    JSON.stringify({ prompt: [{ role: 'user', content: 'hi' }], chosen: [{ role: 'assistant', content: 'hello' }], rejected: [{ role: 'assistant', content: 'go' }] }),
    JSON.stringify({ chosen: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'a' }], rejected: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'b' }] }),
  ];
  const pairs = parseTrlPairs(lines.join('\n'));
  assert.equal(pairs.length, 3);
  assert.deepEqual(pairs[0], { prompt: 'Q', chosen: ' good', rejected: ' bad' });
  assert.deepEqual(pairs[2]!.prompt, [{ role: 'user', content: 'q' }]);
  assert.deepEqual(pairs[2]!.chosen, [{ role: 'assistant', content: 'a' }]);
  assert.throws(() => parseTrlPairs('{"prompt":"a","chosen":"b"}\nnot json', 'f.jsonl'), (e: Error & { code?: string }) =>
    e.code === 'TUNE_BAD_PAIRS' && /f\.jsonl line 1: 'rejected'/.test(e.message));
  assert.throws(() => parseTrlPairs('{"prompt":"a","chosen":"b","rejected":"c"}\nnot json'), /line 2: not JSON/);
  assert.throws(() => parseTrlPairs(JSON.stringify({ prompt: 'a', chosen: [{ role: 'assistant', content: 'b' }], rejected: 'c' })), /all be strings/);
});

test('conversational pairs go through the chat template; without one, the contents are joined', () => {
  const pair = { prompt: [{ role: 'user', content: 'Name a colour.' }], chosen: [{ role: 'assistant', content: 'Blue.' }], rejected: [{ role: 'assistant', content: 'No.' }] };
  // Phi-3's template shape
  const template = "{% for message in messages %}{{'<|' + message['role'] + '|>\\n' + message['content'] + '<|end|>\\n'}}{% endfor %}"
    + "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% else %}{{ eos_token }}{% endif %}";
  const t = pairTexts(pair, { template, eosToken: '<|endoftext|>' });
  assert.equal(t.prompt, '<|user|>\nName a colour.<|end|>\n<|assistant|>\n');
  assert.equal(t.chosen, 'Blue.<|end|>\n<|endoftext|>');
  assert.equal(t.rejected, 'No.<|end|>\n<|endoftext|>');
  assert.deepEqual(pairTexts(pair), { prompt: 'Name a colour.', chosen: '\nBlue.', rejected: '\nNo.' });
  assert.deepEqual(pairTexts({ prompt: 'a', chosen: 'b', rejected: 'c' }, { template }), { prompt: 'a', chosen: 'b', rejected: 'c' });
  assert.throws(() => pairTexts(pair, { template: '{% for x in %}' }), { code: 'TUNE_TEMPLATE' });
});

test('encoding masks the prompt: the completion starts where the whole text leaves the prompt tokens; long prompts lose their start', () => {
  const v = spmVocab();
  const tok = new SpmTokenizer({ ...v, bosId: 1, eosId: 2, unkId: 0, addBos: true, addEos: false, addSpacePrefix: true });
  const texts = [{ prompt: 'the model and the data', chosen: ' is good', rejected: ' was not' }];
  const { pairs, truncated, dropped } = encodePairs(texts, tok, 64);
  assert.equal(truncated + dropped, 0);
  const p = pairs[0]!;
  const prompt = tok.encode('the model and the data', { addBos: true });
  assert.deepEqual(Array.from(p.chosen), tok.encode('the model and the data is good', { addBos: true }));
  assert.equal(p.chosenStart, prompt.length);
  assert.deepEqual(Array.from(p.chosen.subarray(0, p.chosenStart)), prompt);
  assert.equal(p.rejected[0], 1);
  // too long: BOS kept, the prompt's first tokens go, the completion stays whole
  const short = encodePairs(texts, tok, prompt.length);
  assert.equal(short.truncated, 1);
  const q = short.pairs[0]!;
  assert.equal(q.chosen.length, prompt.length);
  assert.equal(q.chosen[0], 1);
  assert.deepEqual(Array.from(q.chosen.subarray(q.chosenStart)), Array.from(p.chosen.subarray(p.chosenStart)));
  // an empty completion, or one that cannot fit, is dropped
  assert.equal(encodePairs([{ prompt: 'the', chosen: '', rejected: ' data' }], tok, 64).dropped, 1);
  assert.equal(encodePairs(texts, tok, 2).dropped, 1);
});
