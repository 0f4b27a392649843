// A chat template's markers (<|user|>, <|end|>, …) are control tokens: llama.cpp reads a rendered conversation with
// them as single tokens (parse_special), and so must training. The engine's SPM tokenizer with parseSpecial gives
// the ids llama.cpp gives (node-llama-cpp's tokenize with special tokens, the model loaded vocabulary-only) on Phi-3
// replicas: named Phi-3 (llama.cpp then drops the whitespace after the markers), not named so (it keeps it), without
// the space prefix (as our demo model), and with the markers as user-defined tokens (cut out even without the flag);
// and on control tokens whose texts overlap (llama.cpp cuts the longest first).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { readGguf } from '../../../src/engine/gguf/index.js';
import { GENERAL, TOKEN_TYPE, TOKENIZER } from '../../../src/engine/gguf/metadataKeys.js';
import { GGUF_VALUE_TYPE as V } from '../../../src/engine/gguf/types.js';
import { spmVocab, writeCatalogReplica, writeTestModel } from '../../../src/engine/synth/index.js';
import { CHAT_TOKENS } from '../../../src/engine/synth/spmVocab.js';
import { SpmTokenizer, tokenizerVocabFromGguf } from '../../../src/engine/tokenizer/index.js';
import { pairTexts } from '../../../src/engine/tune/index.js';
import { llamaCppTokenizer, type TrainingTokenizer } from '../../../src/runtime/core/llamaCppTokenizer.js';

let dir = '';
const models: Record<string, string> = {};

const CONVERSATIONS: string[] = [
  '<|user|>\nhello world<|end|>\n<|assistant|>\n',
  '<|system|>\nbe good<|end|>\n<|user|>\nthe model<|end|>\n<|assistant|>\nthe data is good<|end|>\n<|endoftext|>',
  // markers next to spaces, tabs, blank lines, each other, text's start and end
  ' <|user|>  two spaces\t<|end|>\n\n<|assistant|> \n hello<|end|><|user|><|end|>',
  '<|user|><|assistant|>\n\n\n',
  'text before <|user|>\r\nafter<|end|>',
  // markers llama.cpp treats apart (<s>, <unk>, </s>, <|endoftext|>), a marker cut short, non-ASCII text
  '<s> a<unk>b</s> c<|endoftext|> d <|user| ünïcode ✓ <|end|>',
  'no markers at all, just text',
];

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-special-'));
  const v = spmVocab();
  // (not <|end|> or <|endoftext|>: llama.cpp makes end-of-turn texts control tokens whatever the file says)
  const roles = CHAT_TOKENS.filter((t) => t !== '<|end|>' && t !== '<|endoftext|>');
  const userDefined = v.types.map((t, i) => (roles.includes(v.tokens[i]!) ? TOKEN_TYPE.USER_DEFINED : t));
  const variants: Record<string, Parameters<typeof writeCatalogReplica>[2]> = {
    phi3Named: {},
    otherName: { metadata: [{ key: GENERAL.name, type: V.STRING, value: 'some chat model' }] },
    noSpacePrefix: { metadata: [{ key: GENERAL.name, type: V.STRING, value: 'Model Lab demo' }, { key: TOKENIZER.addSpacePrefix, type: V.BOOL, value: false }] },
    userDefined: { metadata: [{ key: TOKENIZER.tokenType, type: V.ARRAY, elementType: V.INT32, value: userDefined }] },
  };
  for (const [name, opts] of Object.entries(variants)) {
    models[name] = path.join(dir, `${name}.gguf`);
    await writeCatalogReplica(models[name], 'phi-3-mini-4k-instruct-fp16', { nLayer: 1, ...opts });
  }
  // control tokens whose texts overlap: which one llama.cpp cuts out first decides the ids
  models.overlapping = path.join(dir, 'overlapping.gguf');
  await writeTestModel(models.overlapping, { arch: 'llama', nEmbd: 64, nLayer: 1, contextLength: 256, extraControlTokens: ['<|x', '|x|>', 'x|', '<|', '|>'] });
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function both(name: string): Promise<{ ours: SpmTokenizer; theirs: TrainingTokenizer }> {
  const file = models[name]!;
  return { ours: new SpmTokenizer(tokenizerVocabFromGguf((await readGguf(file)).metadata)), theirs: await llamaCppTokenizer(file) };
}

for (const name of ['phi3Named', 'otherName', 'noSpacePrefix', 'userDefined']) {
  test(`${name}: with parseSpecial the engine's ids equal llama.cpp's for rendered conversations; without, too`, async () => {
    const { ours, theirs } = await both(name);
    try {
      const template = (await readGguf(models[name]!)).metadata[TOKENIZER.chatTemplate] as string;
      const rendered = pairTexts({
        prompt: [{ role: 'system', content: ' spaced out ' }, { role: 'user', content: 'hello\nworld' }],
        chosen: [{ role: 'assistant', content: 'the model' }], rejected: [{ role: 'assistant', content: '\n' }],
      }, { template, eosToken: '<|endoftext|>' });
      const texts = [...CONVERSATIONS, rendered.prompt, rendered.prompt + rendered.chosen, rendered.prompt + rendered.rejected];
      for (const text of texts) {
        for (const parseSpecial of [true, false]) {
          for (const addBos of [true, false]) {
            assert.deepEqual(ours.encode(text, { addBos, parseSpecial }), theirs.encode(text, { addBos, parseSpecial }),
              `${JSON.stringify(text)} parseSpecial ${parseSpecial} addBos ${addBos}`);
          }
        }
      }
    } finally {
      await theirs.dispose();
    }
  });
}

test('overlapping special texts: the engine cuts them in llama.cpp\'s order (longest first, not leftmost first)', async () => {
  const { ours, theirs } = await both('overlapping');
  try {
    for (const text of ['<|x|>', 'a<|x|> b', '<|x<|x|>|>', 'x|x|>', '<|<|x', ' |>x|']) {
      assert.deepEqual(ours.encode(text, { addBos: true, parseSpecial: true }), theirs.encode(text, { addBos: true, parseSpecial: true }), JSON.stringify(text));
    }
    // '|x|>' (4 characters) is cut before '<|x' (3) although '<|x' starts first
    assert.deepEqual(ours.encode('<|x|>', { parseSpecial: true }).slice(-1), [ours.tokenId('|x|>')]);
  } finally {
    await theirs.dispose();
  }
});

test('a rendered turn is one token per marker with parseSpecial, several without (control markers)', async () => {
  const { ours, theirs } = await both('phi3Named');
  await theirs.dispose();
  const id = (t: string): number => ours.tokenId(t)!;
  const text = '<|user|>\nthe model<|end|>\n<|assistant|>\n';
  const parsed = ours.encode(text, { parseSpecial: true });
  assert.deepEqual(parsed.filter((t) => ours.tokenText(t).startsWith('<|')), [id('<|user|>'), id('<|end|>'), id('<|assistant|>')]);
  // Phi-3 by name: the newline after each marker is dropped and the next word gets the space prefix
  assert.deepEqual(parsed.slice(0, 3), [id('<|user|>'), id('\u2581the'), id('\u2581model')]);
  const plain = ours.encode(text);
  assert.ok(!plain.includes(id('<|user|>')) && plain.length > parsed.length + 6, 'without the flag the markers are ordinary text');
});
