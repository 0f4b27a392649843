// model-lab train MODEL --method dno --prompts FILE [--pairs FILE.jsonl] [--iterations N] [--samples K]
//   [--judge MODEL | --judge-command CMD] [--margin X] [--beta B] [--lr X] [--sft-weight W] [--max-tokens N]
//   [--validation N] [--held-out N] [--seed N] [--data DIR] [--resume RUN] [--json] [--threads N]
// DNO iterations (src/tune/dno): llama.cpp samples and the judge ranks in this process; each iteration's training
// runs on the engine in-process, from the previous iterate with it as the reference, into an adapter variant of
// MODEL. --json prints {"out" (the best iterate's adapter),"best","iterations","baseline","steps","seconds",
// "trainLoss","heldOutAccuracyBefore","heldOutAccuracyAfter" (with held-out pairs),"peakRssBytes","run","variantId"}.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AbortedError } from '../../engine/errors.js';
import { readGguf } from '../../engine/gguf/index.js';
import { archKey, GENERAL, TOKENIZER } from '../../engine/gguf/metadataKeys.js';
import { createWasmBackend } from '../../engine/kernels/index.js';
import { loadEngineModel, loadLoraGguf, saveLoraGguf } from '../../engine/model/index.js';
import {
  chatFormatOf, DEFAULT_TUNE, encodePairs, initAdapterShape, noPairsLeftError, pairTexts, readTrlPairs, splitHeldOut, trainPreferences, tuneConfigFor,
  type PairTexts, type TrlPair, type TuneConfig,
} from '../../engine/tune/index.js';
import { readPrompts } from '../../evaluate/readPrompts.js';
import type { LlamaRuntime } from '../../runtime/core/LlamaRuntime.js';
import { trainingTokenizer } from '../../runtime/core/llamaCppTokenizer.js';
import {
  commandOracle, DEFAULT_DNO, DnoError, dnoPairRules, judgeModelOracle, runDno,
  type DnoOracle, type DnoPair, type DnoTrainer, type DnoTrainRequest,
} from '../../tune/dno/index.js';
import { createRunFolder, createVariant, openPendingVariant, sha256File } from '../../workspace/index.js';
import { CliUsageError } from '../CliUsageError.js';
import { dataDirectoryOption } from '../variantOutput.js';
import { numberOption, parseCommand, requiredString, withCliRuntime } from './llamaArgs.js';
import { peakRssBytes } from './train.js';
import { cancelOnInterrupt } from '../cancelOnInterrupt.js';

const usage = 'train MODEL --method dno --prompts FILE [--pairs FILE.jsonl] [--iterations 2] [--samples 4] [--judge MODEL | --judge-command CMD] '
  + '[--margin X] [--beta 0.1] [--lr X] [--sft-weight W] [--max-tokens N] [--validation N] [--held-out N] [--seed N] [--data DIR] [--resume RUN] [--json] [--threads N]';

/** A TRL pair's text parts as plain strings (a message list: its contents; the prompt: the last user turn). */
function plainPair(p: TrlPair): { prompt: string; chosen: string; rejected: string } {
  const text = (v: TrlPair['prompt'], last: boolean): string => (typeof v === 'string' ? v : last ? (v[v.length - 1]?.content ?? '') : v.map((m) => m.content).join('\n'));
  return { prompt: text(p.prompt, true), chosen: text(p.chosen, false), rejected: text(p.rejected, false) };
}

/**
 * A held-out seed pair as the trainer sees its pairs: in chat mode one user turn and the answer through the model's
 * chat template (scored with its markers as special tokens), else the plain text.
 */
function asTrained(p: { prompt: string; chosen: string; rejected: string }, md: Record<string, unknown>, mode: 'completion' | 'chat'): PairTexts {
  const format = chatFormatOf(md);
  if (mode !== 'chat' || !format.template) return p;
  return pairTexts({ prompt: [{ role: 'user', content: p.prompt }], chosen: [{ role: 'assistant', content: p.chosen }], rejected: [{ role: 'assistant', content: p.rejected }] }, format);
}

/** Reads and checks a judge model file: it must exist and pass our GGUF reader before llama.cpp sees it. */
async function checkJudgeFile(file: string): Promise<string> {
  const st = await fs.stat(file).catch(() => null);
  if (!st?.isFile()) throw new DnoError('DNO_JUDGE', `judge model '${file}' does not exist`);
  await readGguf(file).catch((e: Error) => {
    throw new DnoError('DNO_JUDGE', `judge model '${file}' is not a GGUF model we can read: ${e.message.split('\n')[0]}`);
  });
  return path.resolve(file);
}

/**
 * Each iteration's training on the engine, in this process: the pairs file tokenized as llama.cpp tokenizes, at
 * most one epoch, from the previous iterate with it as the reference, saved as an adapter variant of the model
 * (its parameters name the iteration and the previous iterate's variant). llama.cpp's copy of the model is
 * unloaded while the engine trains. A resumed iteration finishes the same variant from the trainer's checkpoint.
 */
function engineTrainer(o: {
  rt: LlamaRuntime; model: string; data: string; threads: number; beta: number; lr?: number; sftWeight?: number; seed: number; maxLength: number;
}): DnoTrainer {
  return {
    async train(req: DnoTrainRequest) {
      await fs.mkdir(req.runDir, { recursive: true });
      const record = path.join(req.runDir, 'variant.json');
      const earlier = await fs.readFile(record, 'utf8').then((s) => JSON.parse(s) as { id: string; done?: { adapter: string; steps: number; trainLoss: number } }, () => undefined);
      if (earlier?.done) return { ...earlier.done, variantId: earlier.id };

      const md = (await readGguf(o.model, { signal: req.signal })).metadata;
      const tok = await trainingTokenizer(o.model);
      const template = md[TOKENIZER.chatTemplate];
      let encoded;
      try {
        const texts = readTrlPairs(req.pairsFile).map((p) => pairTexts(p, { template: typeof template === 'string' ? template : undefined, eosToken: tok.tokenText(tok.eosId) }));
        encoded = encodePairs(texts, tok, o.maxLength);
      } finally {
        await tok.dispose();
      }
      if (encoded.pairs.length === 0) throw noPairsLeftError(encoded);
      const init = req.initAdapter ? await initAdapterShape(req.initAdapter, req.signal) : undefined;
      const planned = tuneConfigFor({
        method: 'dpo', beta: o.beta, lr: o.lr, sftWeight: o.sftWeight, seed: o.seed + req.iteration, epochs: 1,
        ...(init ? { rank: init.rank, alpha: init.alpha, targets: init.targets } : {}),
      }, encoded.pairs.length);
      const config: TuneConfig = init ? { ...planned, reference: 'init' } : planned;
      const parameters = {
        method: 'dno', rank: config.lora.r, alpha: config.lora.alpha, targets: config.lora.targets, steps: config.steps, lr: config.lr, beta: config.beta,
        seed: config.seed, dno: { iteration: req.iteration, previous: req.previousVariantId ?? null, reference: init ? 'previous iterate' : 'base' },
      };
      const variant = (earlier && await openPendingVariant(o.data, earlier.id).catch(() => undefined))
        || await createVariant(o.data, { kind: 'adapter', method: 'dno', parent: { file: o.model }, parameters, signal: req.signal });
      await fs.writeFile(record, JSON.stringify({ id: variant.id }) + '\n');

      await o.rt.unloadModel('base');
      const backend = await createWasmBackend({ threads: o.threads });
      try {
        const model = await loadEngineModel(o.model, { backend, signal: req.signal });
        try {
          const initData = req.initAdapter
            ? { adapter: await loadLoraGguf(model, req.initAdapter, { signal: req.signal }), id: await sha256File(req.initAdapter, { signal: req.signal }) }
            : undefined;
          const r = await trainPreferences(req.runDir, model, config, { train: encoded.pairs, baseId: variant.parent.sha256, init: initData }, {
            signal: req.signal, onProgress: (p) => req.onProgress?.(p.step / p.steps),
          });
          await saveLoraGguf(r.adapter, model, variant.file, { name: `model-lab dno ${req.iteration}`, signal: req.signal });
          const v = await variant.commit({ metrics: { trainLoss: r.finalLoss, steps: r.steps, trainPairs: encoded.pairs.length, iteration: req.iteration }, signal: req.signal });
          const done = { adapter: v.path, steps: r.steps, trainLoss: r.finalLoss };
          await fs.writeFile(record, JSON.stringify({ id: v.id, done }) + '\n');
          return { ...done, variantId: v.id };
        } finally {
          model.dispose();
        }
      } catch (err) {
        if (!(err instanceof AbortedError)) {
          await variant.abandon().catch(() => undefined);
          await fs.rm(record, { force: true });
        }
        throw err;
      } finally {
        backend.dispose();
        await o.rt.loadModel({ id: 'base', path: o.model });
      }
    },
  };
}

export async function runDnoCommand(args: string[]): Promise<void> {
  const { model: modelArg, values } = parseCommand('train', args, {
    data: { type: 'string' }, method: { type: 'string' }, prompts: { type: 'string' }, pairs: { type: 'string' },
    iterations: { type: 'string' }, samples: { type: 'string' }, judge: { type: 'string' }, 'judge-command': { type: 'string' },
    margin: { type: 'string' }, beta: { type: 'string' }, lr: { type: 'string' }, 'sft-weight': { type: 'string' },
    'max-tokens': { type: 'string' }, validation: { type: 'string' }, 'held-out': { type: 'string' }, seed: { type: 'string' },
    resume: { type: 'string' },
  }, usage);
  const started = Date.now();
  const model = path.resolve(modelArg);
  const promptsFile = requiredString(values, 'prompts', usage);
  const judgeFile = values.judge as string | undefined;
  const judgeCommand = values['judge-command'] as string | undefined;
  if (judgeFile && judgeCommand) throw new CliUsageError('give --judge MODEL or --judge-command CMD, not both');
  if (!judgeFile && !judgeCommand) throw new CliUsageError('DNO needs an oracle to rank the samples: --judge MODEL (a GGUF) or --judge-command CMD');
  const md = (await readGguf(model)).metadata;
  const judge = judgeFile ? await checkJudgeFile(judgeFile) : undefined;
  const all = await readPrompts(promptsFile);
  if (all.length === 0) throw new DnoError('DNO_NO_PROMPTS', `${promptsFile} holds no prompts`);
  const seed = numberOption(values, 'seed', { integer: true, min: 0 }) ?? DEFAULT_DNO.seed;
  const threads = numberOption({ threads: (values.threads as string | undefined) ?? process.env.MODEL_LAB_THREADS }, 'threads', { integer: true, min: 0 }) || os.availableParallelism();

  // validation prompts (a fifth once there are 10) measure every iterate; the rest are sampled and trained on
  const nValidation = numberOption(values, 'validation', { integer: true, min: 0 }) ?? (all.length >= 10 ? Math.round(all.length / 5) : 0);
  if (nValidation >= all.length) throw new CliUsageError(`--validation ${nValidation} leaves no prompts to train on (there are ${all.length})`);
  const { train: prompts, heldOut: validationPrompts } = splitHeldOut(all, nValidation, seed);
  // seed pairs: gold answers for their prompts, replayed as iteration 0's pairs; a held-out share measures accuracy
  const seedTexts = typeof values.pairs === 'string' ? readTrlPairs(values.pairs).map(plainPair) : [];
  const seedSplit = seedTexts.length ? splitHeldOut(seedTexts, numberOption(values, 'held-out', { integer: true, min: 0 }), seed) : { train: [], heldOut: [] };
  const golds = new Map<string, string[]>();
  for (const p of seedSplit.train) golds.set(p.prompt, [...new Set([...(golds.get(p.prompt) ?? []), p.chosen])]);
  const seedPairs: DnoPair[] = seedSplit.train.map((p) => ({ ...p, iteration: 0 }));
  // gold answers only join the samples of prompts written exactly as in the prompts file: say so when none did
  const noPairHint = (): string => {
    if (typeof values.pairs !== 'string') return 'raise --samples, lower --margin, or give gold answers with --pairs';
    const matched = prompts.filter((p) => golds.has(p)).length;
    if (matched === 0) return `none of the ${golds.size} prompts in ${values.pairs} is among the ${prompts.length} training prompts of ${promptsFile} (they must match exactly); raise --samples or lower --margin`;
    return `raise --samples or lower --margin (gold answers from ${values.pairs} matched ${matched} of ${prompts.length} prompts)`;
  };

  const ctx = Number(md[archKey(String(md[GENERAL.architecture]), 'contextLength')] ?? 512);
  const mode = typeof md[TOKENIZER.chatTemplate] === 'string' ? 'chat' : 'completion';
  const samples = numberOption(values, 'samples', { integer: true, min: 2 }) ?? DEFAULT_DNO.samples;
  const iterations = numberOption(values, 'iterations', { integer: true, min: 1 }) ?? DEFAULT_DNO.iterations;
  const maxTokens = numberOption(values, 'max-tokens', { integer: true, min: 1 }) ?? Math.max(16, Math.min(256, Math.floor(ctx / 4)));
  const beta = numberOption(values, 'beta', { min: 0 }) ?? DEFAULT_TUNE.beta;
  const data = dataDirectoryOption(values);
  let runDir: string;
  if (typeof values.resume === 'string') {
    const candidate = path.isAbsolute(values.resume) || values.resume.includes(path.sep) ? path.resolve(values.resume) : path.join(data, 'runs', values.resume);
    if (!(await fs.stat(path.join(candidate, 'dno.json')).catch(() => null))) throw new CliUsageError(`--resume: ${values.resume} is not a DNO run folder (no dno.json)`);
    runDir = candidate;
  } else {
    runDir = (await createRunFolder(data, 'dno')).dir;
  }

  const ac = cancelOnInterrupt();
  try {
    await withCliRuntime(values, async (rt) => {
      await rt.loadModel({ id: 'base', path: model });
      let oracle: DnoOracle;
      if (judge) {
        await rt.loadModel({ id: 'judge', path: judge });
        oracle = judgeModelOracle(rt, { modelId: 'judge', label: path.basename(judge) }, { contextSize: ctx });
      } else {
        oracle = commandOracle(judgeCommand!);
      }
      const margin = numberOption(values, 'margin', { min: 0 });
      const history = await runDno({
        runDir, rt, model: { modelId: 'base', label: path.basename(model) }, oracle,
        trainer: engineTrainer({
          rt, model, data, threads, beta, lr: numberOption(values, 'lr', { min: 0 }), sftWeight: numberOption(values, 'sft-weight', { min: 0 }), seed, maxLength: Math.min(ctx, 512),
        }),
        prompts, validationPrompts, golds, seedPairs, heldOutPairs: seedSplit.heldOut.map((p) => asTrained(p, md, mode)),
        settings: {
          iterations, samples, temperature: DEFAULT_DNO.temperature, topP: DEFAULT_DNO.topP, maxTokens, mode,
          rules: dnoPairRules(oracle.range, margin), replayShare: DEFAULT_DNO.replayShare, seed, validationSamples: DEFAULT_DNO.validationSamples,
        },
        contextSize: ctx, signal: ac.signal,
        log: values.json ? undefined : (line) => process.stderr.write(line + '\n'),
      }).catch((err: unknown) => {
        if (err instanceof AbortedError) throw new AbortedError(`DNO cancelled; continue it with --resume ${runDir}`);
        throw err;
      });
      const best = history.iterations.find((r) => r.iteration === history.best);
      if (!best) {
        throw new DnoError('DNO_NO_PAIRS', `${history.stopped ?? 'no iteration finished'}; ${noPairHint()}`);
      }
      const out = {
        out: best.adapter, best: best.iteration, variantId: best.variantId ?? null,
        iterations: history.iterations, baseline: history.baseline, ...(history.stopped ? { stopped: history.stopped } : {}),
        steps: history.iterations.reduce((s, r) => s + r.steps, 0),
        seconds: (Date.now() - started) / 1000,
        trainLoss: best.trainLoss,
        ...(seedSplit.heldOut.length ? { heldOutAccuracyBefore: history.baseline.heldOutAccuracy, heldOutAccuracyAfter: best.heldOutAccuracy } : {}),
        peakRssBytes: peakRssBytes(),
        run: runDir,
      };
      process.stdout.write(values.json ? JSON.stringify(out) + '\n'
        : history.iterations.map((r) => `iteration ${r.iteration}: ${r.pairs} pairs + ${r.replayed} replayed, ${r.steps} steps, loss ${r.trainLoss.toFixed(4)}, metric ${r.metric.toFixed(3)} → ${r.variantId ?? r.adapter}\n`).join('')
          + `${history.stopped ? `stopped: ${history.stopped}\n` : ''}best iterate: ${best.iteration} (metric ${best.metric.toFixed(3)}, base ${history.baseline.metric.toFixed(3)}): ${best.adapter}\n`);
    });
  } finally {
    ac.dispose();
  }
}

