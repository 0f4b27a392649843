// The engine's SPM tokenizer with special tokens: what parseSpecial changes and what it leaves alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TOKEN_TYPE } from '../../../src/engine/gguf/metadataKeys.js';
import { spmVocab } from '../../../src/engine/synth/index.js';
import { SpmTokenizer, type TokenizerVocab } from '../../../src/engine/tokenizer/index.js';
import { phi3StripAfter } from '../../../src/engine/tokenizer/tokenizerGguf.js';
import { encodePairs, pairTexts } from '../../../src/engine/tune/index.js';

function vocab(over: Partial<TokenizerVocab> = {}): TokenizerVocab {
  const v = spmVocab();
  return { ...v, bosId: 1, eosId: 2, unkId: 0, addBos: true, addEos: false, addSpacePrefix: true, ...over };
}

test('with parseSpecial a control token\'s text is its id and the text after it gets the space prefix; without, plain text', () => {
  const tok = new SpmTokenizer(vocab());
  const id = (t: string): number => tok.tokenId(t)!;
  assert.deepEqual(tok.encode('<|user|>the model<|end|>', { parseSpecial: true }), [id('<|user|>'), id('\u2581the'), id('\u2581model'), id('<|end|>')]);
  const plain = tok.encode('<|user|>the model<|end|>');
  assert.ok(!plain.includes(id('<|user|>')) && !plain.includes(id('<|end|>')));
  assert.deepEqual(plain, tok.encode('<|user|>the model<|end|>', { parseSpecial: false }));
  // text without markers: the same either way
  assert.deepEqual(tok.encode(' the model\n', { parseSpecial: true, addBos: true }), tok.encode(' the model\n', { addBos: true }));
});

test('Phi-3 by name: the whitespace after a marker is dropped, except after <|endoftext|>; other names keep it', () => {
  const v = vocab();
  const strip = phi3StripAfter('Phi-3 Mini', v.tokens, v.types);
  assert.ok(strip.includes(v.tokens.indexOf('<|user|>')) && strip.includes(v.tokens.indexOf('</s>')));
  assert.ok(!strip.includes(v.tokens.indexOf('<|endoftext|>')) && !strip.includes(v.tokens.indexOf('<s>')) && !strip.includes(v.tokens.indexOf('<unk>')));
  assert.deepEqual(phi3StripAfter('Llama 2', v.tokens, v.types), []);
  const phi = new SpmTokenizer({ ...v, stripAfter: strip });
  const other = new SpmTokenizer(v);
  const text = '<|user|>\n the<|end|>\n';
  assert.deepEqual(phi.encode(text, { parseSpecial: true }), phi.encode('<|user|>the<|end|>', { parseSpecial: true }));
  assert.notDeepEqual(other.encode(text, { parseSpecial: true }), phi.encode(text, { parseSpecial: true }));
});

test('user-defined tokens are cut out even without parseSpecial (llama.cpp does so)', () => {
  const v = vocab();
  const i = v.tokens.indexOf('<|user|>');
  const types = v.types.map((t, k) => (k === i ? TOKEN_TYPE.USER_DEFINED : t));
  const tok = new SpmTokenizer({ ...v, types });
  assert.equal(tok.encode('the <|user|> model').filter((t) => t === i).length, 1);
});

test('a rendered pair is encoded with its markers as tokens; its completion starts after <|assistant|> and its newline', () => {
  const tok = new SpmTokenizer(vocab());
  const template = "{% for m in messages %}{{ '<|' + m['role'] + '|>\\n' + m['content'] + '<|end|>\\n' }}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% else %}{{ eos_token }}{% endif %}";
  const texts = pairTexts({ prompt: [{ role: 'user', content: 'the model' }], chosen: [{ role: 'assistant', content: 'the data' }],
    rejected: [{ role: 'assistant', content: 'no' }] }, { template, eosToken: '<|endoftext|>' });
  const { pairs } = encodePairs([texts], tok, 64);
  const p = pairs[0]!;
  const texts2 = Array.from(p.chosen).map((t) => tok.tokenText(t));
  // the prompt ends with the marker and its newline (with the space prefix a piece after a marker gets)
  assert.deepEqual(texts2.slice(p.chosenStart - 3, p.chosenStart), ['<|assistant|>', '\u2581', '<0x0A>']);
  assert.equal(texts2.filter((t) => t === '<|user|>').length, 1);
  assert.deepEqual(texts2.slice(-4), ['<|end|>', '\u2581', '<0x0A>', '<|endoftext|>']);
  // a string pair with the same text stays plain text
  const { pairs: plain } = encodePairs([{ prompt: texts.prompt, chosen: texts.chosen, rejected: texts.rejected }], tok, 64);
  assert.ok(plain[0]!.chosen.length > p.chosen.length);
});
