// Job kind 'tune': LoRA preference tuning (DPO, IPO, SFT) of a model or pruned variant on TRL pairs — a pairs file
// or the workspace's preference store — into an adapter variant under the model it trained on. The pairs the run
// uses are copied into the run folder first (the store keeps changing; a resumed run must train on the same data),
// the adapter variant is reserved at the start (its id kept in the run folder, so a resumed run finishes the same
// one), and the engine's loop keeps checkpoints and metrics.jsonl (TRL's names) in the run folder. Held-out pairs
// are written as text (heldout.jsonl) for the caller to measure with llama.cpp: the job process runs the engine (with
// llama.cpp's tokenizer, vocabulary-only, where the engine's does not cover the vocabulary).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ModelLabError } from '../../engine/errors.js';
import { readGguf } from '../../engine/gguf/index.js';
import { archKey, GENERAL, TOKENIZER } from '../../engine/gguf/metadataKeys.js';
import { createReferenceBackend, createWasmBackend, type KernelBackend } from '../../engine/kernels/index.js';
import { loadEngineModel, loadLoraGguf, saveLoraGguf } from '../../engine/model/index.js';
import {
  encodePairs, noPairsLeftError, pairTexts, readTrlPairs, splitHeldOut, trainPreferences, tuneConfigFor, type EncodeResult, type PairTexts, type TuneMethod, type TuneOptions,
} from '../../engine/tune/index.js';
import { initAdapterShape, type TuneConfig } from '../../engine/tune/index.js';
import { trainingTokenizer } from '../../runtime/core/llamaCppTokenizer.js';
import { createVariant, openPendingVariant, sha256File, workspacePaths, writeFileAtomic, type PendingVariant } from '../../workspace/index.js';
import { derivePairs, formatPairs, PreferenceStore } from '../../workspace/preferences/index.js';
import { defineJobKind } from './JobKind.js';

export interface TuneJobParams {
  /** The model trained on: a base model's file or a (pruned) variant's model.gguf. */
  model: string;
  /** TRL pairs: a JSONL file, or the data folder's preference store (pairs derived when the job first starts). */
  pairs: { from: 'file'; path: string } | { from: 'store' };
  /** The data folder the adapter variant goes into (and whose store `{ from: 'store' }` reads). */
  dataDirectory: string;
  choices: TuneOptions & {
    /** Upper bound on the steps `epochs` gives (a preset that must stay quick whatever the data set). */
    maxSteps?: number;
    /** Pairs held out to measure on (default: a tenth once there are 20). */
    heldOut?: number;
  };
  /**
   * Continue training this adapter GGUF instead of a fresh one (a DNO iteration starts from the previous iterate).
   * Its rank, alpha and projections replace choices.rank, alpha and targets. The variant's parent stays `model`.
   */
  initAdapter?: string;
  /**
   * Where the reference log-probs come from: 'base' (default) the model with the adapter off; 'init' the model with
   * initAdapter (DNO: the previous iterate is the reference). Computed once per run and cached in the run folder.
   */
  reference?: 'base' | 'init';
  /** Extra entries for the adapter variant's manifest parameters, e.g. { dno: { iteration: 2, previous: '<variant id>' } }. */
  variantParameters?: Record<string, unknown>;
  /** 'wasm' (default) or 'reference' kernels; threads for wasm (default 2). */
  backend?: 'wasm' | 'reference';
  threads?: number;
}

export interface TuneJobResult {
  variantId: string;
  /** The adapter (variants/<id>/adapter.gguf): what "Open Result" opens and llama.cpp loads with a scale. */
  outputPath: string;
  model: string;
  method: TuneMethod;
  steps: number;
  finalLoss: number;
  trainPairs: number;
  heldOutPairs: number;
  /** runs/<id>/heldout.jsonl: held-out pairs as text ({prompt, chosen, rejected} per line), for llama.cpp scoring. */
  heldOutFile: string;
  wallSec: number;
}

/**
 * The params of a tune job that trains one DNO iteration (the host's flow: it samples and ranks, runDno writes the
 * iteration's pairs file, this job trains): at most one epoch, no held-out split (runDno measures on validation
 * prompts), from the previous iterate with it as the reference, and the iteration recorded in the variant.
 */
export function dnoIterationJobParams(
  req: { iteration: number; pairsFile: string; initAdapter?: string; previousVariantId?: string },
  model: string, dataDirectory: string, choices: TuneOptions = {},
): TuneJobParams {
  return {
    model, dataDirectory, pairs: { from: 'file', path: req.pairsFile },
    choices: { epochs: 1, ...choices, heldOut: 0 },
    ...(req.initAdapter ? { initAdapter: req.initAdapter, reference: 'init' as const } : {}),
    variantParameters: { method: 'dno', dno: { iteration: req.iteration, previous: req.previousVariantId ?? null } },
  };
}

export const PAIRS_FILE = 'pairs.jsonl';
export const HELD_OUT_FILE = 'heldout.jsonl';
const VARIANT_FILE = 'variant.json';

/** The pairs of this run, copied into the run folder once (a resumed run reads its copy). */
async function runPairs(p: TuneJobParams, runDir: string): Promise<string> {
  const file = path.join(runDir, PAIRS_FILE);
  if (await fs.stat(file).then(() => true, () => false)) return file;
  let text: string;
  if (p.pairs.from === 'file') {
    text = await fs.readFile(p.pairs.path, 'utf8').catch((e: Error) => {
      throw new ModelLabError('TUNE_BAD_PAIRS', `Cannot read ${p.pairs.from === 'file' ? p.pairs.path : ''}: ${e.message.split('\n')[0]}`);
    });
  } else {
    const store = await PreferenceStore.open(workspacePaths(p.dataDirectory).preferences);
    const { records } = await store.read();
    const out = formatPairs(derivePairs(records, { ties: 'skip' }).pairs, { format: 'trl', shape: 'auto' });
    if (out.rows === 0) throw new ModelLabError('TUNE_NO_PAIRS', 'The preference store has no pairs yet: label some comparisons first (Generate Alternatives, or blind votes in Compare).');
    text = out.text;
  }
  await writeFileAtomic(file, text);
  return file;
}

/** The variant this run writes: the one reserved by an earlier attempt of the same run, or a new reservation. */
async function reserveVariant(p: TuneJobParams, runDir: string, parameters: Record<string, unknown>, dataHash: string, signal: AbortSignal): Promise<PendingVariant> {
  const record = path.join(runDir, VARIANT_FILE);
  const earlier = await fs.readFile(record, 'utf8').then((s) => (JSON.parse(s) as { id: string }).id, () => undefined);
  if (earlier) {
    const v = await openPendingVariant(p.dataDirectory, earlier).catch(() => undefined);
    if (v) return v;
  }
  const v = await createVariant(p.dataDirectory, { kind: 'adapter', method: String(parameters.method), parent: { file: p.model }, parameters, dataHash, signal });
  await fs.writeFile(record, JSON.stringify({ id: v.id }) + '\n');
  return v;
}

export const tuneJob = defineJobKind<TuneJobParams, TuneJobResult>({
  async run(p, ctx) {
    const started = Date.now();
    ctx.progress({ phase: 'preparing', fraction: 0 });
    await fs.mkdir(ctx.runDir, { recursive: true });
    const pairsFile = await runPairs(p, ctx.runDir);
    const gguf = await readGguf(p.model, { signal: ctx.signal });
    const md = gguf.metadata;
    // Tokens as llama.cpp makes them, as the CLI gets them: the engine's SPM tokenizer where it covers the vocabulary,
    // else llama.cpp's own, loaded vocabulary-only in this process (BPE: Qwen2.5, Llama 3.x).
    const tok = await trainingTokenizer(p.model, ctx.signal);
    const template = md[TOKENIZER.chatTemplate];
    const { maxSteps, heldOut: heldOutCount, ...options } = p.choices;
    const seed = options.seed ?? 1;
    const maxLength = Math.min(Number(md[archKey(String(md[GENERAL.architecture]), 'contextLength')] ?? 512), 512);
    let split: { train: PairTexts[]; heldOut: PairTexts[] }, train: EncodeResult, heldOut: EncodeResult;
    try {
      const texts = readTrlPairs(pairsFile).map((x) => pairTexts(x, { template: typeof template === 'string' ? template : undefined, eosToken: tok.tokenText(tok.eosId) }));
      split = splitHeldOut(texts, heldOutCount, seed);
      train = encodePairs(split.train, tok, maxLength);
      heldOut = encodePairs(split.heldOut, tok, maxLength);
    } finally {
      await tok.dispose();
    }
    if (train.pairs.length === 0) throw noPairsLeftError(train);
    if (p.reference === 'init' && !p.initAdapter) throw new ModelLabError('TUNE_CONFIG', "reference 'init' needs an initAdapter to start from.");
    const init = p.initAdapter ? await initAdapterShape(p.initAdapter, ctx.signal) : undefined;
    const chosen: TuneOptions = { ...options, seed, ...(init ? { rank: init.rank, alpha: init.alpha, targets: init.targets } : {}) };
    const byEpochs = tuneConfigFor(chosen, train.pairs.length);
    const planned = maxSteps !== undefined && options.steps === undefined && byEpochs.steps > maxSteps ? tuneConfigFor({ ...chosen, steps: maxSteps }, train.pairs.length) : byEpochs;
    const c: TuneConfig = p.reference ? { ...planned, reference: p.reference } : planned;
    const heldOutFile = path.join(ctx.runDir, HELD_OUT_FILE);
    await writeFileAtomic(heldOutFile, heldOut.kept.map((i) => JSON.stringify(split.heldOut[i]) + '\n').join(''));
    ctx.log(`${train.pairs.length} training pairs, ${heldOut.pairs.length} held out (${train.dropped + heldOut.dropped} dropped, ${train.truncated + heldOut.truncated} cut); ${c.steps} steps of ${c.batchSize}`);

    const dataHash = await sha256File(pairsFile, { signal: ctx.signal });
    const variant = await reserveVariant(p, ctx.runDir, {
      method: c.method, rank: c.lora.r, alpha: c.lora.alpha, targets: c.lora.targets, steps: c.steps, lr: c.lr, beta: c.beta, seed: c.seed,
      pairs: p.pairs.from === 'file' ? path.resolve(p.pairs.path) : 'preference store',
      ...(p.initAdapter ? { initAdapter: path.resolve(p.initAdapter), reference: c.reference ?? 'base' } : {}),
      ...p.variantParameters,
    }, dataHash, ctx.signal);
    const backend: KernelBackend = p.backend === 'reference' ? createReferenceBackend() : await createWasmBackend({ threads: p.threads ?? 2 });
    try {
      const model = await loadEngineModel(p.model, { backend, signal: ctx.signal });
      try {
        const initData = p.initAdapter
          ? { adapter: await loadLoraGguf(model, p.initAdapter, { signal: ctx.signal }), id: await sha256File(p.initAdapter, { signal: ctx.signal }) }
          : undefined;
        const r = await trainPreferences(ctx.runDir, model, c, { train: train.pairs, heldOut: heldOut.pairs, baseId: variant.parent.sha256, init: initData }, {
          signal: ctx.signal,
          onReferenceProgress: (f) => ctx.progress({ phase: 'reference log-probs', fraction: 0.05 * f }),
          onProgress: (g) => {
            ctx.progress({ phase: 'training', fraction: 0.05 + 0.93 * (g.step / g.steps), step: g.step, steps: g.steps, loss: g.loss, tokensPerSec: g.tokensPerSec, etaSec: g.etaSec });
            ctx.log(`step ${g.step}/${g.steps} loss ${g.loss.toFixed(4)} margin ${(g.metrics['rewards/margins'] ?? 0).toFixed(3)} accuracy ${(g.metrics['rewards/accuracies'] ?? 0).toFixed(2)} ${g.tokensPerSec.toFixed(0)} tok/s`);
          },
        });
        ctx.progress({ phase: 'saving', fraction: 0.98, step: r.steps, steps: r.steps });
        await saveLoraGguf(r.adapter, model, variant.file, { name: `model-lab ${c.method}`, signal: ctx.signal });
        const v = await variant.commit({
          metrics: { trainLoss: r.finalLoss, steps: r.steps, trainPairs: train.pairs.length, heldOutPairs: heldOut.pairs.length, run: path.basename(ctx.runDir) },
          signal: ctx.signal,
        });
        ctx.progress({ phase: 'done', fraction: 1, step: r.steps, steps: r.steps });
        return {
          variantId: v.id, outputPath: v.path, model: p.model, method: c.method, steps: r.steps, finalLoss: r.finalLoss,
          trainPairs: train.pairs.length, heldOutPairs: heldOut.pairs.length, heldOutFile, wallSec: (Date.now() - started) / 1000,
        };
      } finally {
        model.dispose();
      }
    } catch (err) {
      // a cancel keeps the reservation (and the checkpoints) for a resume; a failure removes it
      if (!ctx.signal.aborted) {
        await variant.abandon().catch(() => undefined);
        await fs.rm(path.join(ctx.runDir, VARIANT_FILE), { force: true });
      }
      throw err;
    } finally {
      backend.dispose();
    }
  },
});
