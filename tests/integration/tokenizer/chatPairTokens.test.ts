// A message-list preference pair is trained and scored on the tokens chat produces. The trainer's ids for a pair
// rendered by the model's template (pairTexts + encodePairs) equal node-llama-cpp's chat wrapper's tokens for the same
// conversation (markers as control tokens), and the runtime scores the very same ids when asked to parse special
// tokens (held-out accuracy, Evaluate's preference accuracy); without the flag it would score other tokens.
// Not compared with the wrapper: a model named Phi-3 with the space prefix. There llama.cpp drops the newline after
// each marker and the next word gets the prefix ('▁hello', as llama.cpp reads the whole rendered text and as Phi-3's
// own tokenizer does), while the wrapper tokenizes each message apart with its leading space trimmed ('hello').
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { JinjaTemplateChatWrapper, type ChatHistoryItem } from 'node-llama-cpp';
import { heldOutAccuracy } from '../../../src/cli/commands/train.js';
import { completionLogprob } from '../../../src/evaluate/completionLogprob.js';
import { readGguf } from '../../../src/engine/gguf/index.js';
import { GENERAL, TOKENIZER } from '../../../src/engine/gguf/metadataKeys.js';
import { GGUF_VALUE_TYPE as V } from '../../../src/engine/gguf/types.js';
import { writeCatalogReplica } from '../../../src/engine/synth/index.js';
import { SpmTokenizer, tokenizerVocabFromGguf } from '../../../src/engine/tokenizer/index.js';
import { encodePairs, pairTexts, type TrlPair } from '../../../src/engine/tune/index.js';
import { initLlama } from '../../../src/runtime/core/initLlama.js';
import { LlamaRuntime } from '../../../src/runtime/core/LlamaRuntime.js';

let dir = '';
let rt: LlamaRuntime;
const models: Record<string, string> = {};

const PAIR: TrlPair = {
  prompt: [{ role: 'system', content: 'be good' }, { role: 'user', content: 'hello world' }],
  chosen: [{ role: 'assistant', content: 'the model is good' }],
  rejected: [{ role: 'assistant', content: 'no' }],
};

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-chatpair-'));
  const name = (value: string) => ({ key: GENERAL.name, type: V.STRING, value });
  const variants = {
    // our demo model's shape: Phi-3's markers and template, no space prefix, a name llama.cpp gives no rules to
    demoShaped: [name('Model Lab demo'), { key: TOKENIZER.addSpacePrefix, type: V.BOOL, value: false }],
    otherName: [name('some chat model')],
    phi3Named: [],
  };
  for (const [n, metadata] of Object.entries(variants)) {
    models[n] = path.join(dir, `${n}.gguf`);
    await writeCatalogReplica(models[n], 'phi-3-mini-4k-instruct-fp16', { nLayer: 1, metadata });
  }
  rt = new LlamaRuntime();
  await rt.initialize({ gpu: 'off', threads: 2 });
});
after(async () => {
  await rt?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function trainerPair(file: string): Promise<{ tok: SpmTokenizer; template: string; chosen: number[]; chosenStart: number }> {
  const md = (await readGguf(file)).metadata;
  const tok = new SpmTokenizer(tokenizerVocabFromGguf(md));
  const template = md[TOKENIZER.chatTemplate] as string;
  const texts = pairTexts(PAIR, { template, eosToken: tok.tokenText(tok.eosId) });
  assert.equal(texts.parseSpecial, true);
  const { pairs } = encodePairs([texts], tok, 256);
  return { tok, template, chosen: Array.from(pairs[0]!.chosen), chosenStart: pairs[0]!.chosenStart };
}

for (const variant of ['demoShaped', 'otherName']) {
  test(`${variant}: the trainer's tokens for a message-list pair are node-llama-cpp's chat wrapper's for the conversation`, async () => {
    const { tok, template, chosen, chosenStart } = await trainerPair(models[variant]!);
    const { llama } = await initLlama('off');
    const model = await llama.loadModel({ modelPath: models[variant]!, vocabOnly: true, gpuLayers: 0 });
    try {
      const wrapper = new JinjaTemplateChatWrapper({ template, tokenizer: model.tokenizer });
      const history = (answer: string[]): ChatHistoryItem[] => [
        { type: 'system', text: 'be good' }, { type: 'user', text: 'hello world' }, { type: 'model', response: answer }];
      const promptTokens = wrapper.generateContextState({ chatHistory: history([]) }).contextText.tokenize(model.tokenizer).map(Number);
      const answerTokens = wrapper.generateContextState({ chatHistory: history(['the model is good']) }).contextText.tokenize(model.tokenizer).map(Number);
      // ours start with BOS, which the model adds before the wrapper's text
      assert.equal(chosen[0], tok.bosId);
      assert.deepEqual(chosen.slice(1, chosenStart), promptTokens);
      // the wrapper stops mid-turn (a reply being written); the trainer's text goes on to close the turn
      assert.deepEqual(chosen.slice(1, answerTokens.length + 1), answerTokens);
      assert.deepEqual(chosen.slice(answerTokens.length + 1).map((t) => tok.tokenText(t)).filter((t) => t.startsWith('<|')), ['<|end|>', '<|endoftext|>']);
    } finally {
      await model.dispose();
      await llama.dispose();
    }
  });
}

test('phi3Named: scoring with parseSpecial reads the trainer\'s tokens; held-out accuracy runs on them', async () => {
  const { tok, chosen, chosenStart } = await trainerPair(models.phi3Named!);
  const md = (await readGguf(models.phi3Named!)).metadata;
  const texts = pairTexts(PAIR, { template: md[TOKENIZER.chatTemplate] as string, eosToken: tok.tokenText(tok.eosId) });
  await rt.loadModel({ id: 'phi3', path: models.phi3Named!, gpuLayers: 0 });
  try {
    const scored = await rt.logprobs({ modelId: 'phi3', text: texts.prompt + texts.chosen, parseSpecial: true });
    assert.deepEqual(scored.tokens, chosen);
    assert.deepEqual(rt.tokenize({ modelId: 'phi3', text: texts.prompt, addBos: true, parseSpecial: true }).tokens, chosen.slice(0, chosenStart));
    // without the flag llama.cpp reads the markers as text: other, more tokens than training used
    const plain = await rt.logprobs({ modelId: 'phi3', text: texts.prompt + texts.chosen });
    assert.ok(plain.tokens.length > chosen.length + 10);
    // Evaluate's preference accuracy: the completion is the tokens training scores
    await rt.createSession({ id: 's', modelId: 'phi3', scoring: true });
    try {
      const c = await completionLogprob(rt, { sessionId: 's', modelId: 'phi3' }, texts.prompt, texts.chosen, undefined, true);
      assert.equal(c.tokens, chosen.length - chosenStart);
    } finally {
      await rt.disposeSession('s');
    }
    const acc = await heldOutAccuracy(rt, 'phi3', [texts], undefined);
    assert.ok(acc === 0 || acc === 0.5 || acc === 1);
  } finally {
    await rt.unloadModel('phi3');
  }
});
