// The shipped demo model (media/models/demo.gguf), trained from scratch by our engine: a phi3 model (fused qkv and
// gate|up, Phi-3's chat markers and template) that llama.cpp loads; it predicts held-out TypeScript declarations far
// better than chance, writes code-like text that seldom loops, and answers a doc comment with a declaration in chat.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import { readGguf } from '../../../src/engine/gguf/index.js';
import { tokenLogprobs } from '../../../src/engine/model/index.js';
import { SpmTokenizer, tokenizerVocabFromGguf } from '../../../src/engine/tokenizer/index.js';
import { loadDemoCorpus } from '../../../src/engine/train/demo/demoCorpus.js';
import { chatPairTokens, DEMO_CHAT_TEMPLATE, DEMO_CHAT_TOKENS, docCommentPairs } from '../../../src/engine/train/demo/demoChat.js';
import { TOKEN_TYPE } from '../../../src/engine/gguf/metadataKeys.js';
import { codeLikeness, corpusWords } from './codeLikeness.js';
import { EXACT_SCORING_CONTEXT } from '../../../src/runtime/core/scoreTokens.js';
import { initialChatHistory } from '../../../src/runtime/core/chatHistory.js';

// ML_DEMO_DIR lets a freshly trained model (npm run train:demo -- --out DIR) be checked before it is shipped.
const demoDir = path.resolve(process.env.ML_DEMO_DIR ?? 'media/models');
const modelPath = path.join(demoDir, 'demo.gguf');
const manifestPath = path.join(demoDir, 'demo.manifest.json');
const execFileAsync = promisify(execFile);
const corpus = loadDemoCorpus(path.resolve('node_modules/typescript'));
const heldOutText = corpus.heldOut.map((f) => f.text).join('\n');
/**
 * A held-out excerpt without the licence header that starts every lib file (the model has that by heart): the
 * declarations of lib.esnext.disposable.d.ts. Short, to keep the test quick.
 */
const excerpt = (() => {
  const text = corpus.heldOut.find((f) => f.name === 'lib.esnext.disposable.d.ts')!.text;
  const body = text.slice(text.indexOf('***** */') + 8).trimStart();
  return body.slice(0, 1500);
})();

/**
 * Bound with margin: `model-lab ppl --context 256` on the held-out excerpt measured 16.7 on the shipped phi3 model
 * (484 tokens), 31.7 on the llama demo before it; the uniform baseline is the vocabulary size, 2048. (One
 * llama.cpp thread: on a busy 2-core
 * machine a 2-thread decode of this tiny model waits ~0.5 s per call on its thread barrier, 1 thread takes ~2 ms.)
 */
const MAX_HELD_OUT_PPL = 60;

let llama: Llama;
let model: LlamaModel;
let context: LlamaContext;
let sequence: LlamaContextSequence;
const logs: string[] = [];

before(async () => {
  const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
  llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.warn, logger: (level, message) => logs.push(`${level}: ${message}`) });
  model = await llama.loadModel({ modelPath });
  // at full precision (F32 KV cache, no flash attention), as every comparison with our engine is made
  context = await model.createContext({ contextSize: 256, batchSize: 256, threads: 1, ...EXACT_SCORING_CONTEXT });
  sequence = context.getSequence();
});

after(async () => {
  await context?.dispose();
  await model?.dispose();
  await llama?.dispose();
});

test('the manifest describes the shipped file, its corpus and its training', async () => {
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  const bytes = fs.readFileSync(modelPath);
  assert.equal(manifest.sha256, createHash('sha256').update(bytes).digest('hex'));
  assert.equal(manifest.bytes, bytes.length);
  assert.ok(bytes.length < 16e6, 'a few MB');
  assert.equal(manifest.corpus.sha256, corpus.sha256, 'the installed typescript lib files are the corpus the model was trained on');
  assert.equal(manifest.corpus.license, 'Apache-2.0');
  assert.equal(manifest.tokenizer.vocabSize, 2048);
  assert.ok(manifest.training.lossCurve.length > 10);
  assert.ok(manifest.training.heldOutLoss < Math.log(2048) - 3);
  assert.match(manifest.command, /npm run train:demo/);
  assert.ok(manifest.training.epochs > 1, `${manifest.training.epochs} epochs`);
  assert.ok(manifest.chat.pairs > 1000 && manifest.chat.shareOfTrainingStream > 0.05 && manifest.chat.shareOfTrainingStream < 0.25);
  const file = await readGguf(modelPath);
  assert.ok(file.tensors.filter((t) => t.shape.length === 2).every((t) => t.typeName === manifest.weightType));
});

test('the file has the layout of the Phi-3 models users bring: fused qkv and gate|up, chat markers, chat template', async () => {
  const file = await readGguf(modelPath);
  const md = file.metadata;
  assert.equal(md['general.architecture'], 'phi3');
  const shape = (name: string): number[] | undefined => file.tensors.find((t) => t.name === name)?.shape.map(Number);
  const C = Number(md['phi3.embedding_length']);
  const F = Number(md['phi3.feed_forward_length']);
  for (let il = 0; il < Number(md['phi3.block_count']); il++) {
    assert.deepEqual(shape(`blk.${il}.attn_qkv.weight`), [C, 3 * C], 'q | k | v in one tensor');
    assert.deepEqual(shape(`blk.${il}.ffn_up.weight`), [C, 2 * F], 'gate | up in one tensor');
    assert.equal(shape(`blk.${il}.attn_q.weight`), undefined);
    assert.equal(shape(`blk.${il}.ffn_gate.weight`), undefined);
  }
  const tokens = md['tokenizer.ggml.tokens'] as string[];
  const types = md['tokenizer.ggml.token_type'] as number[];
  for (const t of DEMO_CHAT_TOKENS) assert.equal(types[tokens.indexOf(t)], TOKEN_TYPE.CONTROL, `${t} is a control token`);
  assert.equal(tokens[Number(md['tokenizer.ggml.eos_token_id'])], '<|endoftext|>', 'EOS as in Phi-3');
  assert.equal(md['tokenizer.chat_template'], DEMO_CHAT_TEMPLATE);
  // llama.cpp picks its built-in 'phi3' chat format for a template that has both markers
  assert.ok(DEMO_CHAT_TEMPLATE.includes('<|assistant|>') && DEMO_CHAT_TEMPLATE.includes('<|end|>'));
  // llama.cpp ends a turn at <|end|> (end-of-turn by its text), as at EOS: chat replies stop there
  assert.equal(model.tokens.eos, tokens.indexOf('<|endoftext|>'));
  assert.equal(model.tokens.eot, tokens.indexOf('<|end|>'));
  assert.ok(model.isEogToken(tokens.indexOf('<|end|>') as Token));
});

test('the chat slice trains on the very tokens llama.cpp reads from the template-rendered conversation', async () => {
  const { Template } = await import('@huggingface/jinja');
  const tok = new SpmTokenizer(tokenizerVocabFromGguf((await readGguf(modelPath)).metadata));
  const pairs = corpus.train.filter((f) => f.name === 'lib.es5.d.ts').flatMap((f) => docCommentPairs(f.text)).slice(0, 20);
  assert.equal(pairs.length, 20);
  for (const pair of pairs) {
    const rendered = new Template(DEMO_CHAT_TEMPLATE).render({
      messages: [{ role: 'user', content: pair.user }, { role: 'assistant', content: pair.assistant }],
      add_generation_prompt: false, eos_token: '<|endoftext|>', bos_token: '<s>',
    });
    const ours = chatPairTokens(pair, (t) => tok.encode(t), (t) => tok.tokenId(t)!);
    assert.deepEqual(ours, Array.from(model.tokenize(rendered, true)), `tokens differ for ${JSON.stringify(rendered.slice(0, 80))}`);
  }
});

test('llama.cpp loads the model without warnings and tokenizes exactly like our tokenizer', async () => {
  assert.deepEqual(logs.filter((l) => /^(warn|error)/.test(l)), []);
  assert.deepEqual(model.getWarnings(), []);
  const tok = new SpmTokenizer(tokenizerVocabFromGguf((await readGguf(modelPath)).metadata));
  const theirs = Array.from(model.tokenize(heldOutText));
  assert.deepEqual(tok.encode(heldOutText), theirs);
  assert.equal(model.detokenize(theirs), heldOutText);
});

/** ln p of each token after the first, by llama.cpp (full softmax, temperature 0), one window from a clear cache. */
async function llamaLogprobs(tokens: number[]): Promise<number[]> {
  await sequence.clearHistory();
  const input = tokens.map((t, i) =>
    i + 1 < tokens.length ? ([t as Token, { generateNext: { probabilities: true, options: { temperature: 0 } } }] as const) : (t as Token));
  const out = await sequence.controlledEvaluate(input as Parameters<LlamaContextSequence['controlledEvaluate']>[0]);
  return tokens.slice(1).map((t, i) => Math.log(out[i]?.next.probabilities?.get(t as Token) ?? 0));
}

test('held-out perplexity (model-lab ppl) is far below the uniform baseline', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-'));
  try {
    const file = path.join(dir, 'heldout.txt');
    fs.writeFileSync(file, excerpt);
    const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'ppl', modelPath, '--file', file, '--context', '256', '--threads', '1', '--json'], { maxBuffer: 1 << 20 });
    const { ppl, tokens } = JSON.parse(stdout) as { ppl: number; tokens: number };
    const uniform = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
    console.log(`held-out perplexity ${ppl.toFixed(2)} over ${tokens} tokens; uniform baseline ${uniform}`);
    assert.equal(uniform, 2048);
    assert.ok(tokens > 300, `${tokens} tokens scored`);
    assert.ok(ppl < MAX_HELD_OUT_PPL, `perplexity ${ppl}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * 40 fixed places in the held-out files (evenly spaced non-empty lines after the licence header): the three lines
 * before, then the line's indentation — the model writes the next line of a file it never saw.
 */
const HELD_OUT_PROMPTS = (() => {
  const lines = corpus.heldOut.flatMap((f) => {
    const body = f.text.slice(f.text.indexOf('***** */') + 8).split('\n');
    return body.map((_, i) => (i >= 3 && body[i]!.trim() ? body.slice(i - 3, i).join('\n') + '\n' + body[i]!.match(/^\s*/)![0] : null));
  }).filter((p): p is string => p !== null);
  return Array.from({ length: 40 }, (_, k) => lines[Math.floor(((k + 0.5) * lines.length) / 40)]!);
})();

/** How often the most repeated line (8 characters or more) and the most repeated 4-token run occur in a text. */
function repetition(text: string, tokens: readonly number[]): { line: number; run: number } {
  const count = (items: string[]): number => Math.max(0, ...[...items.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>()).values()]);
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length >= 8);
  const runs = tokens.slice(3).map((_, i) => tokens.slice(i, i + 4).join(','));
  return { line: count(lines), run: count(runs) };
}

/** Share of completions that are code-like: 3+ identifiers, at least 90% of them corpus words, brackets balanced. */
function codeLikeShare(prompts: string[], completions: string[], words: Set<string>): number {
  const ok = completions.map((text, i) => {
    const c = codeLikeness(prompts[i]!, text, words, { midFile: true });
    return c.identifiers >= 3 && c.knownFraction >= 0.9 && c.bracketsOk;
  });
  return ok.filter(Boolean).length / ok.length;
}

/**
 * Over the 40 held-out places, greedy and 48 tokens each, measured: the shipped phi3 model 0.800 code-like with 7
 * looping texts, the llama demo before it 0.750 with 11, random vocabulary tokens 0.000. The floor is one the llama
 * demo meets too; the loop bound is below the llama demo's count.
 */
const MIN_CODE_LIKE_SHARE = 0.7;
const MAX_LOOPING = 10;

test('greedy generation from held-out code is code-like and seldom loops (random tokens are not code-like by the same rule)', async () => {
  const words = corpusWords(corpus.train.map((f) => f.text));
  const completions: string[] = [];
  let loops = 0;
  for (const prompt of HELD_OUT_PROMPTS) {
    await sequence.clearHistory();
    const out: number[] = [];
    for await (const t of sequence.evaluate([model.tokens.bos!, ...model.tokenize(prompt)], { temperature: 0 })) {
      out.push(t);
      if (out.length >= 48 || model.isEogToken(t)) break;
    }
    completions.push(model.detokenize(out as Token[]));
    const c = codeLikeness(prompt, completions.at(-1)!, words, { midFile: true });
    const r = repetition(completions.at(-1)!, out);
    if (r.line > 2 || r.run > 3) loops++;
    console.log(JSON.stringify({ prompt: prompt.slice(-40), text: completions.at(-1), identifiers: c.identifiers, known: c.knownFraction, brackets: c.bracketsOk, ...r }));
  }
  const share = codeLikeShare(HELD_OUT_PROMPTS, completions, words);
  // the same rule on random tokens of the same lengths must fail: it tells code from non-code
  let seed = 1;
  const random = (): number => (seed = (seed * 48271) % 2147483647) / 2147483647;
  const noise = completions.map((c) => model.detokenize(Array.from({ length: Math.max(8, model.tokenize(c).length) }, () => (3 + Math.floor(random() * 2040)) as Token)));
  const noiseShare = codeLikeShare(HELD_OUT_PROMPTS, noise, words);
  console.log(`code-like: ${share.toFixed(3)} of ${HELD_OUT_PROMPTS.length} held-out places; random tokens ${noiseShare.toFixed(3)}; loops (a line 3+ times or a 4-token run 4+ times): ${loops}`);
  assert.ok(share >= MIN_CODE_LIKE_SHARE, `${share} code-like`);
  assert.ok(loops <= MAX_LOOPING, `${loops} of the texts loop`);
  assert.ok(noiseShare < MIN_CODE_LIKE_SHARE / 2, `random tokens pass the rule: ${noiseShare}`);
});

test('chat: a held-out doc comment gets one declaration back, and the reply ends its turn', async () => {
  const { LlamaChatSession } = await import('node-llama-cpp');
  const words = corpusWords(corpus.train.map((f) => f.text));
  // doc comments of files never trained on; the chat session as the runtime opens it (no system prompt)
  const questions = corpus.heldOut.flatMap((f) => docCommentPairs(f.text)).filter((_, i) => i % 7 === 0).slice(0, 5);
  assert.equal(questions.length, 5);
  for (const q of questions) {
    await sequence.clearHistory();
    const chat = new LlamaChatSession({ contextSequence: sequence, autoDisposeSequence: false });
    chat.setChatHistory(initialChatHistory(undefined));
    try {
      const r = await chat.promptWithMeta(q.user, { maxTokens: 64, temperature: 0 });
      const reply = r.responseText.trim();
      const c = codeLikeness('', reply, words);
      console.log(JSON.stringify({ question: q.user.slice(0, 60), declared: q.assistant, reply, stop: r.stopReason }));
      assert.equal(r.stopReason, 'eogToken', `the reply ends its turn: ${JSON.stringify(reply)}`);
      assert.ok(!reply.includes('<|'), 'no chat markers in the text');
      assert.match(reply, /^[^\n]*[;{}]$/, 'one declaration');
      assert.ok(c.identifiers >= 2 && c.knownFraction >= 0.5 && c.bracketsOk, `code-like: ${JSON.stringify(c)}`);
    } finally {
      chat.dispose();
    }
  }
});

// The F16 criteria of the engine's parity suite (tests/integration/engine/llamaParity.test.ts, which says why): an
// F16 model's activations are rounded to F16 before each matmul, and now and then a value on a rounding boundary
// moves by one F16 step in one program and not the other; through K and V that reaches every later token. So the
// mean difference is held to 1e-3 and the worst token to 1e-2 (measured on the phi3 demo: worst 1.5e-3).
test('our engine gives the same log-probabilities as llama.cpp on the shipped F16 model (mean within 1e-3, worst 1e-2)', async () => {
  const ids = [model.tokens.bos!, ...(model.tokenize(excerpt).slice(0, 200) as number[])];
  const theirs = await llamaLogprobs(ids);
  const ours = await tokenLogprobs(modelPath, ids, { threads: 2 });
  assert.equal(ours.length, theirs.length);
  const diffs = ours.map((x, i) => Math.abs(x - theirs[i]!));
  const worst = Math.max(...diffs);
  const mean = diffs.reduce((a, b) => a + b, 0) / diffs.length;
  console.log(`engine vs llama.cpp: max |Δ log p| = ${worst.toExponential(2)}, mean ${mean.toExponential(2)} over ${ours.length} tokens`);
  assert.ok(mean <= 1e-3, `mean difference ${mean}`);
  assert.ok(worst <= 1e-2, `max difference ${worst}`);
});
