// model-lab train MODEL --pairs FILE.jsonl [--out ADAPTER.gguf | --data DIR] [--method dpo|ipo|sft] [--rank 8]
//   [--alpha 16] [--targets LIST] [--dropout P] [--epochs N | --steps N] [--lr X] [--beta B] [--sft-weight W] [--seed N] [--held-out N]
//   [--resume RUN] [--json]
// Trains a LoRA adapter on TRL preference pairs with Model Lab's engine (the base stays in its stored type; the
// reference is the same base with no adapter), then measures held-out preference accuracy with llama.cpp with and
// without the adapter: the share of held-out pairs whose chosen completion has the higher log-probability.
// --json prints {"out","steps","seconds","trainLoss","heldOutAccuracyBefore","heldOutAccuracyAfter","peakRssBytes",
// "run","variantId"}. Ctrl-C saves a checkpoint; the same command with --resume RUN finishes the run identically.
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AbortedError, ModelLabError } from '../../engine/errors.js';
import { readGguf } from '../../engine/gguf/index.js';
import { archKey, GENERAL, TOKENIZER } from '../../engine/gguf/metadataKeys.js';
import { createWasmBackend } from '../../engine/kernels/index.js';
import { loadEngineModel, saveLoraGguf, type LoraTarget } from '../../engine/model/index.js';
import {
  ALL_LORA_TARGETS, DEFAULT_TUNE, encodePairs, noPairsLeftError, pairTexts, readTrlPairs, splitHeldOut, trainPreferences, tuneConfigFor,
  type PairTexts, type TuneMethod,
} from '../../engine/tune/index.js';
import type { LlamaRuntime } from '../../runtime/core/LlamaRuntime.js';
import { trainingTokenizer } from '../../runtime/core/llamaCppTokenizer.js';
import { createRunFolder, sha256File } from '../../workspace/index.js';
import { CliUsageError } from '../CliUsageError.js';
import { dataDirectoryOption, openVariantOutput, variantOutputOptions } from '../variantOutput.js';
import { runDnoCommand } from './trainDno.js';
import { numberOption, parseCommand, requiredString, withCliRuntime } from './llamaArgs.js';
import { cancelOnInterrupt } from '../cancelOnInterrupt.js';

const usage = 'train MODEL --pairs FILE.jsonl [--out ADAPTER.gguf | --data DIR] [--method dpo|ipo|sft] [--rank 8] [--alpha 16] '
  + '[--targets LIST] [--dropout P] [--epochs N | --steps N] [--lr X] [--beta B] [--sft-weight W] [--seed N] [--held-out N] [--resume RUN] [--json] [--threads N]';

/** Peak resident memory of this process (VmHWM; getrusage's maxRSS where /proc is absent). */
export function peakRssBytes(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

/**
 * Held-out preference accuracy by llama.cpp: for each pair, the summed log-probability of the chosen and the
 * rejected completion after the shared prompt (tokens after the longest common prefix with the prompt's own
 * tokenization), with the given adapters; the share of pairs where chosen is the likelier. Ties count half.
 * One session for all pairs: creating a context per text costs more than scoring it.
 */
export async function heldOutAccuracy(rt: LlamaRuntime, modelId: string, pairs: PairTexts[], lora: Array<{ path: string; scale?: number }> | undefined,
  opts: { contextSize?: number; signal?: AbortSignal } = {}): Promise<number> {
  if (pairs.length === 0) return NaN;
  const sessionId = `held-out-${modelId}`;
  await rt.createSession({ id: sessionId, modelId, contextSize: opts.contextSize, lora }, opts.signal);
  try {
    let wins = 0;
    for (const p of pairs) {
      // a chat template's rendering is read with its markers as special tokens, as training read it
      const parseSpecial = p.parseSpecial === true;
      const prompt = rt.tokenIds({ modelId, text: p.prompt, addBos: true, parseSpecial });
      const score = async (completion: string): Promise<number> => {
        const r = await rt.logprobs({ sessionId, text: p.prompt + completion, parseSpecial }, opts.signal);
        let start = 0;
        while (start < prompt.length && r.tokens[start] === prompt[start]) start++;
        let sum = 0;
        for (let i = Math.max(1, start); i < r.logprobs.length; i++) sum += r.logprobs[i] ?? 0;
        return sum;
      };
      const c = await score(p.chosen), r = await score(p.rejected);
      wins += c > r ? 1 : c === r ? 0.5 : 0;
    }
    return wins / pairs.length;
  } finally {
    await rt.disposeSession(sessionId);
  }
}

/** --dropout P: PEFT's lora_dropout, in [0, 1). */
function dropoutOption(values: Parameters<typeof numberOption>[0]): number | undefined {
  const p = numberOption(values, 'dropout', { min: 0 });
  if (p !== undefined && p >= 1) throw new CliUsageError('--dropout must be below 1 (the share of the LoRA input dropped while training)');
  return p;
}

function parseTargets(v: string | undefined): LoraTarget[] {
  if (!v || v === 'all') return ALL_LORA_TARGETS;
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.find((t) => !(ALL_LORA_TARGETS as string[]).includes(t));
  if (bad) throw new CliUsageError(`--targets: unknown projection '${bad}' (any of ${ALL_LORA_TARGETS.join(', ')}, or all)`);
  return list as LoraTarget[];
}

export async function run(args: string[]): Promise<void> {
  // DNO iterations have options of their own (prompts, an oracle): src/cli/commands/trainDno.ts
  const m = args.findIndex((a) => a === '--method' || a.startsWith('--method='));
  if (m >= 0 && (args[m] === '--method=dno' || args[m + 1] === 'dno')) return runDnoCommand(args);
  const { model, values } = parseCommand('train', args, {
    ...variantOutputOptions,
    pairs: { type: 'string' }, method: { type: 'string' }, rank: { type: 'string' }, alpha: { type: 'string' },
    targets: { type: 'string' }, epochs: { type: 'string' }, steps: { type: 'string' }, lr: { type: 'string' },
    beta: { type: 'string' }, seed: { type: 'string' }, 'held-out': { type: 'string' }, resume: { type: 'string' },
    'sft-weight': { type: 'string' }, dropout: { type: 'string' },
  }, usage);
  const pairsFile = requiredString(values, 'pairs', usage);
  const method = (values.method as string | undefined) ?? 'dpo';
  if (!['dpo', 'ipo', 'sft'].includes(method)) throw new CliUsageError(`--method must be dpo, ipo, sft or dno, not '${method}'`);
  if (values.epochs !== undefined && values.steps !== undefined) throw new CliUsageError('give --epochs or --steps, not both');
  const seed = numberOption(values, 'seed', { integer: true, min: 0 }) ?? DEFAULT_TUNE.seed;
  const threads = numberOption({ threads: (values.threads as string | undefined) ?? process.env.MODEL_LAB_THREADS }, 'threads', { integer: true, min: 0 })
    || os.availableParallelism();
  const started = Date.now();

  // Pairs → text (the model's chat template for message lists) → tokens, and a held-out split fixed by the seed.
  // tokens as llama.cpp makes them: the engine's SPM tokenizer, or (BPE vocabularies) llama.cpp's, vocabulary-only
  const gguf = await readGguf(model);
  const md = gguf.metadata;
  const tok = await trainingTokenizer(model);
  const arch = String(md[GENERAL.architecture]);
  const ctx = Number(md[archKey(arch, 'contextLength')] ?? 512);
  const eos = tok.tokenText(tok.eosId);
  const template = md[TOKENIZER.chatTemplate];
  const texts = readTrlPairs(pairsFile).map((p) => pairTexts(p, { template: typeof template === 'string' ? template : undefined, eosToken: eos }));
  if (texts.length === 0) throw new ModelLabError('TUNE_NO_PAIRS', `${pairsFile} holds no pairs`);
  const split = splitHeldOut(texts, numberOption(values, 'held-out', { integer: true, min: 0 }), seed);
  const heldOutTexts = split.heldOut;
  const trainTexts = split.train;
  const maxLength = Math.min(ctx, 512);
  const train = encodePairs(trainTexts, tok, maxLength);
  const heldOut = encodePairs(heldOutTexts, tok, maxLength);
  await tok.dispose();
  if (train.pairs.length === 0) throw noPairsLeftError(train);

  const config = tuneConfigFor({
    method: method as TuneMethod,
    sftWeight: numberOption(values, 'sft-weight', { min: 0 }),
    dropout: dropoutOption(values),
    rank: numberOption(values, 'rank', { integer: true, min: 1 }),
    alpha: numberOption(values, 'alpha', { min: 0 }),
    targets: parseTargets(values.targets as string | undefined),
    epochs: numberOption(values, 'epochs', { min: 0 }),
    steps: numberOption(values, 'steps', { integer: true, min: 1 }),
    lr: numberOption(values, 'lr', { min: 0 }),
    beta: numberOption(values, 'beta', { min: 0 }),
    seed,
  }, train.pairs.length);
  const { steps, lora: { r: rank, alpha } } = config;

  const data = dataDirectoryOption(values);
  let runDir: string;
  if (typeof values.resume === 'string') {
    runDir = existsSync(values.resume) ? path.resolve(values.resume) : path.join(data, 'runs', values.resume);
    if (!existsSync(path.join(runDir, 'config.json'))) throw new CliUsageError(`--resume: ${values.resume} is not a run folder (no config.json)`);
  } else {
    runDir = (await createRunFolder(data, method)).dir;
  }

  const ac = cancelOnInterrupt();
  try {
    return await withCliRuntime(values, async (rt) => {
      // llama.cpp's copy of the base is loaded only while scoring, never while the engine trains on its own.
      await rt.loadModel({ id: 'base', path: model });
      const before = await heldOutAccuracy(rt, 'base', heldOutTexts, undefined, { contextSize: ctx, signal: ac.signal });
      await rt.unloadModel('base');

      const baseSha = await sha256File(model, { signal: ac.signal });
      const backend = await createWasmBackend({ threads });
      let result;
      const output = await openVariantOutput(values, {
        kind: 'adapter', method, parent: { file: path.resolve(model) }, signal: ac.signal,
        parameters: { method, rank, alpha, targets: config.lora.targets, dropout: config.lora.dropout ?? 0, steps, lr: config.lr, beta: config.beta, seed, pairs: path.resolve(pairsFile) },
      });
      try {
        const engineModel = await loadEngineModel(model, { backend, signal: ac.signal });
        try {
          result = await trainPreferences(runDir, engineModel, config, { train: train.pairs, heldOut: heldOut.pairs, baseId: baseSha }, {
            signal: ac.signal,
            onProgress: (p) => {
              if (!values.json) process.stderr.write(`step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)} margin ${(p.metrics['rewards/margins'] ?? 0).toFixed(3)} ${p.tokensPerSec.toFixed(0)} tok/s eta ${p.etaSec.toFixed(0)}s\n`);
            },
          });
          await saveLoraGguf(result.adapter, engineModel, output.file, { name: `model-lab ${method}`, signal: ac.signal });
        } finally {
          engineModel.dispose();
        }
      } catch (err) {
        await output.abandon();
        if (err instanceof AbortedError) throw new AbortedError(`Training cancelled; continue it with --resume ${runDir}`);
        throw err;
      } finally {
        backend.dispose();
      }

      await rt.loadModel({ id: 'base', path: model });
      const after = await heldOutAccuracy(rt, 'base', heldOutTexts, [{ path: output.file }], { contextSize: ctx, signal: ac.signal });
      const done = await output.commit({ trainLoss: result.finalLoss, heldOutAccuracyBefore: before, heldOutAccuracyAfter: after, steps: result.steps });
      const out = {
        out: done.file,
        steps: result.steps,
        seconds: (Date.now() - started) / 1000,
        trainLoss: result.finalLoss,
        heldOutAccuracyBefore: before,
        heldOutAccuracyAfter: after,
        peakRssBytes: peakRssBytes(),
        run: runDir,
        variantId: done.variantId,
        pairs: { train: train.pairs.length, heldOut: heldOut.pairs.length, dropped: train.dropped + heldOut.dropped, truncated: train.truncated + heldOut.truncated },
      };
      process.stdout.write(values.json ? JSON.stringify(out) + '\n'
        : `wrote ${out.out}${done.variantId ? ` (variant ${done.variantId})` : ''}: ${out.steps} steps in ${out.seconds.toFixed(0)}s, train loss ${out.trainLoss.toFixed(4)}, `
          + `${heldOutTexts.length ? `held-out accuracy ${before.toFixed(3)} → ${after.toFixed(3)} (${heldOutTexts.length} pairs)` : 'no held-out pairs (--held-out N)'}, peak RSS ${(out.peakRssBytes / 2 ** 20).toFixed(0)} MiB\n`);
    });
  } finally {
    ac.dispose();
  }
}
