import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GGUF_VALUE_TYPE } from '../../gguf/types.js';
import { createWasmBackend } from '../../kernels/index.js';
import { saveModelGguf } from '../../model/saveModelGguf.js';
import { SpmTokenizer, TOKEN_TYPE, tokenizerGgufMetadata, trainSpmVocab, type TokenizerVocab } from '../../tokenizer/index.js';
import { TokenWindows } from '../TokenWindows.js';
import type { TrainConfig } from '../TrainConfig.js';
import { meanNll, trainModel, type TrainProgress } from '../trainModel.js';
import { loadDemoCorpus, type CorpusFile } from './demoCorpus.js';
import { DEMO_CHAT_FILE_SHARE, DEMO_RECIPES, DEMO_VOCAB_SIZE, type DemoRecipe } from './demoRecipe.js';
import { GENERAL, TOKENIZER } from '../../gguf/metadataKeys.js';
import { chatPairTokens, DEMO_CHAT_TEMPLATE, DEMO_CHAT_TOKENS, demoChatSlice, type DemoChatToken } from './demoChat.js';

export interface TrainDemoOptions {
  /** The installed `typescript` package (the corpus). */
  typescriptDir: string;
  /** Where demo.gguf and demo.manifest.json go (media/models). */
  outDir: string;
  /** Run folder: config.json, metrics.jsonl, checkpoint.bin. An existing run with the same settings resumes. */
  runDir: string;
  /** Kernel threads (default 2: results are reproducible for a fixed thread count). */
  threads?: number;
  /** 'phi3' (default: the shipped demo — Phi-3's layout, chat markers, template and chat slice) or 'llama' (the first demo). */
  recipe?: DemoRecipe;
  /** Override the step count (quick trial runs); the manifest records what was used. */
  steps?: number;
  /** Delete the run folder first instead of resuming. */
  fresh?: boolean;
  /** The command line that ran this, for the manifest. */
  command: string;
  /** The git commit of the code that ran this (null when unknown), for the manifest. */
  commit?: string | null;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/** GGML type of the shipped weights: F16 keeps llama.cpp within 1e-3 of our engine's log-probs. */
const WEIGHT_TYPE = { id: 1, name: 'F16' };

/**
 * Builds the built-in demo model end to end: corpus → tokenizer → token streams (with the phi3 recipe, the chat
 * slice after the files) → training (trainModel, with checkpoints and resume) → demo.gguf (F16, tokenizer and, for
 * phi3, the chat template inside) + demo.manifest.json. Deterministic for a recipe and thread count.
 */
export async function trainDemo(opts: TrainDemoOptions): Promise<Record<string, unknown>> {
  const log = opts.log ?? (() => {});
  const t0 = Date.now();
  const corpus = loadDemoCorpus(opts.typescriptDir);
  log(`corpus: ${corpus.source}, ${corpus.train.length} train + ${corpus.heldOut.length} held-out files, sha256 ${corpus.sha256.slice(0, 16)}…`);

  const recipe = DEMO_RECIPES[opts.recipe ?? 'phi3'];
  const vocab = demoVocab(corpus.train, recipe.chat, opts.signal);
  const tok = new SpmTokenizer(vocab);
  const special = (t: DemoChatToken): number => tok.tokenId(t)!;
  const stream = (files: CorpusFile[]): number[] => {
    const ids: number[] = [];
    for (const f of files) {
      for (const id of tok.encode(f.text)) ids.push(id);
      ids.push(vocab.eosId);
    }
    return ids;
  };
  // The chat slice follows the files in the stream; windows are visited shuffled, so it is mixed through training.
  const chat = recipe.chat ? demoChatSlice(corpus.train, DEMO_CHAT_FILE_SHARE) : undefined;
  const chatIds = chat ? chat.pairs.flatMap((p) => chatPairTokens(p, (t) => tok.encode(t), special)) : [];
  const fileIds = stream(corpus.train);
  const train = Int32Array.from([...fileIds, ...chatIds]);
  const heldOut = Int32Array.from(stream(corpus.heldOut));
  const chars = (files: CorpusFile[]): number => files.reduce((s, f) => s + f.chars, 0);
  log(`tokenizer: ${vocab.tokens.length} tokens; ${fileIds.length} train tokens (${(chars(corpus.train) / fileIds.length).toFixed(2)} chars/token), ${heldOut.length} held-out tokens (${(chars(corpus.heldOut) / heldOut.length).toFixed(2)} chars/token), ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  if (chat) log(`chat slice: ${chat.pairs.length} doc comment → declaration pairs (of ${chat.found}), ${chatIds.length} tokens = ${(100 * chatIds.length / train.length).toFixed(1)} % of the training stream`);

  const config: TrainConfig = { ...recipe.config, steps: opts.steps ?? recipe.config.steps };
  config.warmupSteps = Math.min(config.warmupSteps, config.steps);
  const threads = opts.threads ?? 2;
  if (opts.fresh) rmSync(opts.runDir, { recursive: true, force: true });
  const backend = await createWasmBackend({ threads });
  try {
    const onProgress = (p: TrainProgress): void => {
      if (p.step % 10 === 0 || p.heldOutLoss !== undefined || p.step === p.steps) {
        log(`step ${p.step}/${p.steps} loss ${p.loss.toFixed(3)}${p.heldOutLoss !== undefined ? ` held-out ${p.heldOutLoss.toFixed(3)}` : ''} lr ${p.lr.toExponential(2)} ${p.tokensPerSec.toFixed(0)} tok/s, eta ${(p.etaSec / 60).toFixed(1)} min`);
      }
    };
    const result = await trainModel(opts.runDir, config, { train, heldOut, bosId: vocab.bosId }, { backend, signal: opts.signal, onProgress });
    const model = result.model;

    // Held-out loss over the whole held-out split (the training loop measured a fixed subset).
    const allHeldOut = new TokenWindows(heldOut, config.seqLen, vocab.bosId, 0).firstWindows(Number.MAX_SAFE_INTEGER);
    const heldOutLoss = meanNll(model, allHeldOut, config.microBatch ?? config.batchSize);
    log(`held-out loss over ${allHeldOut.length} windows: ${heldOutLoss.toFixed(4)} (perplexity ${Math.exp(heldOutLoss).toFixed(2)}, uniform ${vocab.tokens.length})`);

    mkdirSync(opts.outDir, { recursive: true });
    const ggufPath = path.join(opts.outDir, 'demo.gguf');
    const tmp = `${ggufPath}.tmp`;
    await saveModelGguf(model, tmp, {
      // Not "phi3" or "phi-3" in the name: llama.cpp would then strip the newline after each chat marker when it
      // tokenizes a conversation (as Phi-3's own files want), and the chat slice was trained with it kept.
      name: 'Model Lab demo (TypeScript lib.d.ts)',
      weightType: WEIGHT_TYPE.id,
      metadata: [
        ...tokenizerGgufMetadata(vocab),
        ...(chat ? [
          { key: TOKENIZER.paddingId, type: GGUF_VALUE_TYPE.UINT32, value: vocab.eosId },
          { key: TOKENIZER.chatTemplate, type: GGUF_VALUE_TYPE.STRING, value: DEMO_CHAT_TEMPLATE },
        ] : []),
        { key: GENERAL.license, type: GGUF_VALUE_TYPE.STRING, value: 'Apache-2.0' },
        { key: GENERAL.sourceUrl, type: GGUF_VALUE_TYPE.STRING, value: `npm:typescript@${corpus.packageVersion}/lib` },
      ],
      signal: opts.signal,
    });
    renameSync(tmp, ggufPath);
    const paramCount = model.trainableParameters().reduce((s, p) => s + p.data.length, 0);
    model.dispose();

    const tokensSeen = result.steps * config.batchSize * (config.seqLen - 1);
    const trainSec = result.metrics.at(-1)?.elapsedSec ?? result.wallSec;
    const manifest = {
      name: 'Demo (built-in)',
      file: 'demo.gguf',
      sha256: createHash('sha256').update(readFileSync(ggufPath)).digest('hex'),
      bytes: statSync(ggufPath).size,
      weightType: WEIGHT_TYPE.name,
      architecture: config.model.architecture ?? 'llama',
      parameters: paramCount,
      hyperparameters: config,
      corpus: {
        source: corpus.source,
        license: corpus.license,
        packageVersion: corpus.packageVersion,
        sha256: corpus.sha256,
        heldOutRule: 'whole files listed in src/engine/train/demo/demoCorpus.ts (HELD_OUT_FILES)',
        trainTokens: fileIds.length,
        heldOutTokens: heldOut.length,
        files: corpus.files.map(({ name, split, chars, sha256 }) => ({ name, split, chars, sha256 })),
      },
      chat: chat && {
        template: DEMO_CHAT_TEMPLATE,
        slice: 'each /** doc comment */ of a training file as the user turn, the declaration after it as the answer (src/engine/train/demo/demoChat.ts)',
        pairs: chat.pairs.length,
        pairsFound: chat.found,
        thinned: chat.thinned,
        tokens: chatIds.length,
        shareOfTrainingStream: +(chatIds.length / train.length).toFixed(3),
      },
      tokenizer: {
        model: `llama (SPM), learned with BPE; score = -merge rank${chat ? '; Phi-3\'s chat markers as control tokens at the end' : ''}`,
        vocabSize: vocab.tokens.length,
        special: { unk: vocab.unkId, bos: vocab.bosId, eos: vocab.eosId, ...(chat ? Object.fromEntries(DEMO_CHAT_TOKENS.map((t) => [t, special(t)])) : {}) },
        byteFallback: true,
        addBos: vocab.addBos,
        addEos: vocab.addEos,
        addSpacePrefix: vocab.addSpacePrefix,
        chunking: 'newline+indentation | ▁?identifier | ▁?number | ▁?punctuation run | spaces (src/engine/tokenizer/splitIntoChunks.ts)',
        minCharCount: 10,
        charsPerTokenTrain: +(chars(corpus.train) / fileIds.length).toFixed(3),
        charsPerTokenHeldOut: +(chars(corpus.heldOut) / heldOut.length).toFixed(3),
        documentSeparator: chat ? 'EOS (<|endoftext|>) after each file and each chat example; every training window starts with BOS'
          : 'EOS after each file; every training window starts with BOS',
      },
      training: {
        steps: result.steps,
        tokensSeen,
        trainStreamTokens: train.length,
        epochs: +(tokensSeen / train.length).toFixed(3),
        finalTrainLoss: +result.finalLoss.toFixed(4),
        heldOutLoss: +heldOutLoss.toFixed(4),
        heldOutPerplexity: +Math.exp(heldOutLoss).toFixed(3),
        uniformPerplexity: vocab.tokens.length,
        heldOutWindows: allHeldOut.length,
        lossCurve: result.metrics
          .filter((m) => m.step % 5 === 0 || m.heldOutLoss !== undefined || m.step === 1)
          .map((m) => ({ step: m.step, loss: +m.loss.toFixed(4), ...(m.heldOutLoss !== undefined ? { heldOutLoss: +m.heldOutLoss.toFixed(4) } : {}) })),
        trainWallSec: Math.round(trainSec),
        meanTokensPerSec: Math.round(tokensSeen / trainSec),
        resumedFrom: result.resumedFrom,
      },
      engine: { backend: 'wasm', threads, optimizer: 'AdamW', schedule: 'linear warmup + cosine', gradClip: config.gradClip },
      command: opts.command,
      recipe: opts.recipe ?? 'phi3',
      // the code that wrote the file; a resumed run (training.resumedFrom) trained its first steps with the code of then
      commit: opts.commit ?? null,
      totalWallSec: Math.round((Date.now() - t0) / 1000),
      machine: { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.arch()}` },
      createdAt: new Date().toISOString(),
    };
    writeFileSync(path.join(opts.outDir, 'demo.manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    log(`wrote ${ggufPath} (${(manifest.bytes / 1e6).toFixed(2)} MB) and demo.manifest.json in ${manifest.totalWallSec}s`);
    return manifest;
  } finally {
    backend.dispose();
  }
}

/**
 * The demo tokenizer: an SPM vocabulary learned on the training files; with `chat`, Phi-3's chat markers as control
 * tokens at the end (DEMO_VOCAB_SIZE in all), with `<|endoftext|>` as EOS as in Phi-3 (`</s>` stays, unused).
 */
function demoVocab(train: CorpusFile[], chat: boolean, signal?: AbortSignal): TokenizerVocab {
  const texts = train.map((f) => f.text);
  if (!chat) return trainSpmVocab(texts, { vocabSize: DEMO_VOCAB_SIZE, signal });
  const learned = trainSpmVocab(texts, { vocabSize: DEMO_VOCAB_SIZE - DEMO_CHAT_TOKENS.length, signal });
  const vocab: TokenizerVocab = { ...learned, tokens: [...learned.tokens], scores: [...learned.scores], types: [...learned.types] };
  for (const t of DEMO_CHAT_TOKENS) {
    vocab.tokens.push(t);
    vocab.scores.push(0);
    vocab.types.push(TOKEN_TYPE.CONTROL);
  }
  vocab.eosId = vocab.tokens.indexOf('<|endoftext|>');
  return vocab;
}
