// Job kind 'train': pretrains a llama-shaped model from scratch with the engine's training loop (checkpoints in the
// run folder, exact resume), on token files or on the text files of a folder, and saves it as runs/<id>/model.gguf.
import { readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ModelLabError } from '../../engine/errors.js';
import { readGguf, type GgufMetadataEntry } from '../../engine/gguf/index.js';
import { metadataEntries } from '../../engine/gguf/metadataEntries.js';
import { createReferenceBackend, createWasmBackend, type KernelBackend } from '../../engine/kernels/index.js';
import { saveModelGguf } from '../../engine/model/saveModelGguf.js';
import { trainModel, type TrainConfig, type TrainData } from '../../engine/train/index.js';
import { trainingTokenizer } from '../../runtime/core/llamaCppTokenizer.js';
import { textCorpusTokens, type TextCorpusTokens } from '../data/textCorpusTokens.js';
import { defineJobKind } from './JobKind.js';

/** Token ids as little-endian int32 files (files joined with EOS, no BOS inside). */
export interface TokenFilesSource {
  source: 'tokens';
  trainPath: string;
  heldOutPath?: string;
  bosId: number;
}

/**
 * The text files under a folder, tokenized with a GGUF model's tokenizer (the engine's for SPM vocabularies, llama.cpp's
 * for the others): its vocabulary size wins, and the saved model carries its tokenizer.* metadata.
 */
export interface TextFolderSource {
  source: 'text';
  folder: string;
  tokenizerModel: string;
  /** Read at most this much text (default 4 MB). */
  maxBytes?: number;
}

export interface TrainJobParams {
  /** The engine's TrainConfig. With a text source, `model.nVocab` is set from the tokenizer. */
  config: TrainConfig;
  data: TokenFilesSource | TextFolderSource;
  /** 'wasm' (default) or 'reference' kernels; threads for wasm (default 2). Results repeat for a fixed choice. */
  backend?: 'wasm' | 'reference';
  threads?: number;
  /** GGML type id of the saved 2-D weights (default 1 = F16). */
  weightType?: number;
}

export interface TrainJobResult {
  steps: number;
  resumedFrom: number;
  stepsRun: number;
  finalLoss: number;
  heldOutLoss?: number;
  wallSec: number;
  /** runs/<id>/model.gguf */
  outputPath: string;
}

function readTokens(file: string): Int32Array {
  const b = readFileSync(file);
  if (b.length % 4 !== 0) throw new ModelLabError('JOB_BAD_TOKENS', `${file} is not a file of int32 token ids.`);
  const out = new Int32Array(b.length / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

export const trainJob = defineJobKind<TrainJobParams, TrainJobResult>({
  async run(p, ctx) {
    let config = p.config;
    let data: TrainData;
    let metadata: GgufMetadataEntry[] = [];
    if (p.data.source === 'tokens') {
      data = { train: readTokens(p.data.trainPath), heldOut: p.data.heldOutPath ? readTokens(p.data.heldOutPath) : undefined, bosId: p.data.bosId };
    } else {
      ctx.progress({ phase: 'tokenizing', fraction: 0 });
      const tok = await trainingTokenizer(p.data.tokenizerModel, ctx.signal);
      let corpus: TextCorpusTokens;
      try {
        corpus = await textCorpusTokens({ folder: p.data.folder, tokenizer: tok, maxBytes: p.data.maxBytes ?? 4 << 20, minTokens: config.seqLen * 2, signal: ctx.signal });
      } finally {
        await tok.dispose();
      }
      ctx.log(`tokenized ${corpus.files} files (${corpus.bytes} bytes): ${corpus.train.length} train + ${corpus.heldOut?.length ?? 0} held-out tokens`);
      // every training window starts with BOS; a vocabulary without one starts it with EOS (a text boundary too)
      data = { train: corpus.train, heldOut: corpus.heldOut, bosId: tok.bosId >= 0 ? tok.bosId : tok.eosId };
      config = { ...config, model: { ...config.model, nVocab: tok.vocabSize } };
      // the tokenizer as the source model stores it (SPM or BPE, special tokens, chat template), so llama.cpp
      // tokenizes text for the trained model as it was tokenized here
      metadata = metadataEntries(await readGguf(p.data.tokenizerModel, { signal: ctx.signal })).filter((e) => e.key.startsWith('tokenizer.'));
    }
    const backend: KernelBackend = p.backend === 'reference' ? createReferenceBackend() : await createWasmBackend({ threads: p.threads ?? 2 });
    try {
      const r = await trainModel(ctx.runDir, config, data, {
        backend,
        signal: ctx.signal,
        onProgress: (g) => {
          ctx.progress({ phase: 'training', fraction: g.step / g.steps, step: g.step, steps: g.steps, loss: g.loss, heldOutLoss: g.heldOutLoss, tokensPerSec: g.tokensPerSec, etaSec: g.etaSec });
          if (g.step % 10 === 0 || g.step === g.steps || g.heldOutLoss !== undefined) {
            ctx.log(`step ${g.step}/${g.steps} loss ${g.loss.toFixed(4)}${g.heldOutLoss !== undefined ? ` held-out ${g.heldOutLoss.toFixed(4)}` : ''} ${g.tokensPerSec.toFixed(0)} tok/s`);
          }
        },
      });
      ctx.progress({ phase: 'saving', fraction: 1, step: r.steps, steps: r.steps });
      const outputPath = path.join(ctx.runDir, 'model.gguf');
      const tmp = `${outputPath}.tmp`;
      try {
        await saveModelGguf(r.model, tmp, { name: 'Model Lab training run', weightType: p.weightType ?? 1, metadata, signal: ctx.signal });
        await readGguf(tmp); // our reader checks what we wrote before anything else reads it
        renameSync(tmp, outputPath);
      } finally {
        rmSync(tmp, { force: true });
        r.model.dispose();
      }
      return { steps: r.steps, resumedFrom: r.resumedFrom, stepsRun: r.stepsRun, finalLoss: r.finalLoss, heldOutLoss: r.heldOutLoss, wallSec: r.wallSec, outputPath };
    } finally {
      backend.dispose();
    }
  },
});
