import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GGUF_VALUE_TYPE } from '../../gguf/types.js';
import { createWasmBackend } from '../../kernels/index.js';
import { saveModelGguf } from '../../model/saveModelGguf.js';
import { SpmTokenizer, tokenizerGgufMetadata, trainSpmVocab } from '../../tokenizer/index.js';
import { TokenWindows } from '../TokenWindows.js';
import type { TrainConfig } from '../TrainConfig.js';
import { meanNll, trainModel, type TrainProgress } from '../trainModel.js';
import { loadDemoCorpus, type CorpusFile } from './demoCorpus.js';
import { DEMO_TRAIN_CONFIG, DEMO_VOCAB_SIZE } from './demoRecipe.js';
import { GENERAL } from '../../gguf/metadataKeys.js';

export interface TrainDemoOptions {
  /** The installed `typescript` package (the corpus). */
  typescriptDir: string;
  /** Where demo.gguf and demo.manifest.json go (media/models). */
  outDir: string;
  /** Run folder: config.json, metrics.jsonl, checkpoint.bin. An existing run with the same settings resumes. */
  runDir: string;
  /** Kernel threads (default 2: results are reproducible for a fixed thread count). */
  threads?: number;
  /** Override the step count (quick trial runs); the manifest records what was used. */
  steps?: number;
  /** Delete the run folder first instead of resuming. */
  fresh?: boolean;
  /** The command line that ran this, for the manifest. */
  command: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/** GGML type of the shipped weights: F16 keeps llama.cpp within 1e-3 of our engine's log-probs. */
const WEIGHT_TYPE = { id: 1, name: 'F16' };

/**
 * Builds the built-in demo model end to end: corpus → tokenizer → token streams → training (trainModel, with
 * checkpoints and resume) → demo.gguf (F16, tokenizer inside) + demo.manifest.json. Deterministic for a thread count.
 */
export async function trainDemo(opts: TrainDemoOptions): Promise<Record<string, unknown>> {
  const log = opts.log ?? (() => {});
  const t0 = Date.now();
  const corpus = loadDemoCorpus(opts.typescriptDir);
  log(`corpus: ${corpus.source}, ${corpus.train.length} train + ${corpus.heldOut.length} held-out files, sha256 ${corpus.sha256.slice(0, 16)}…`);

  const vocab = trainSpmVocab(corpus.train.map((f) => f.text), { vocabSize: DEMO_VOCAB_SIZE, signal: opts.signal });
  const tok = new SpmTokenizer(vocab);
  const stream = (files: CorpusFile[]): Int32Array => {
    const ids: number[] = [];
    for (const f of files) {
      for (const id of tok.encode(f.text)) ids.push(id);
      ids.push(vocab.eosId);
    }
    return Int32Array.from(ids);
  };
  const train = stream(corpus.train);
  const heldOut = stream(corpus.heldOut);
  const chars = (files: CorpusFile[]): number => files.reduce((s, f) => s + f.chars, 0);
  log(`tokenizer: ${vocab.tokens.length} tokens; ${train.length} train tokens (${(chars(corpus.train) / train.length).toFixed(2)} chars/token), ${heldOut.length} held-out tokens (${(chars(corpus.heldOut) / heldOut.length).toFixed(2)} chars/token), ${((Date.now() - t0) / 1000).toFixed(1)}s`);

  const config: TrainConfig = { ...DEMO_TRAIN_CONFIG, steps: opts.steps ?? DEMO_TRAIN_CONFIG.steps };
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
      name: 'Model Lab demo (TypeScript lib.d.ts)',
      weightType: WEIGHT_TYPE.id,
      metadata: [
        ...tokenizerGgufMetadata(vocab),
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
      architecture: 'llama',
      parameters: paramCount,
      hyperparameters: config,
      corpus: {
        source: corpus.source,
        license: corpus.license,
        packageVersion: corpus.packageVersion,
        sha256: corpus.sha256,
        heldOutRule: 'whole files listed in src/engine/train/demo/demoCorpus.ts (HELD_OUT_FILES)',
        trainTokens: train.length,
        heldOutTokens: heldOut.length,
        files: corpus.files.map(({ name, split, chars, sha256 }) => ({ name, split, chars, sha256 })),
      },
      tokenizer: {
        model: 'llama (SPM), learned with BPE; score = -merge rank',
        vocabSize: vocab.tokens.length,
        special: { unk: vocab.unkId, bos: vocab.bosId, eos: vocab.eosId },
        byteFallback: true,
        addBos: vocab.addBos,
        addEos: vocab.addEos,
        addSpacePrefix: vocab.addSpacePrefix,
        chunking: 'newline+indentation | ▁?identifier | ▁?number | ▁?punctuation run | spaces (src/engine/tokenizer/splitIntoChunks.ts)',
        minCharCount: 10,
        charsPerTokenTrain: +(chars(corpus.train) / train.length).toFixed(3),
        charsPerTokenHeldOut: +(chars(corpus.heldOut) / heldOut.length).toFixed(3),
        documentSeparator: 'EOS after each file; every training window starts with BOS',
      },
      training: {
        steps: result.steps,
        tokensSeen,
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
