// model-lab eval MODEL [--lora A [--lora-scale S]] (--ppl FILE|GLOB | --pairs FILE | --prompts FILE --against MODEL2 --judge MODEL3)
//   [--out DIR | --data DIR] [--context N] [--max-tokens N] [--temperature T] [--seed N] [--rubric TEXT] [--json]
// Quick local evaluations by llama.cpp. Results go to DIR (with --out) or to <data>/evals/<id>/: result.json,
// results.csv and a self-contained report.html. --json prints the figures and where the files are.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readGguf } from '../../engine/gguf/index.js';
import { chatFormatOf, pairTexts, readTrlPairs } from '../../engine/tune/index.js';
import type { EvalReport, ReportedModel } from '../../evaluate/EvalReport.js';
import { reportSummary } from '../../evaluate/EvalReport.js';
import { perplexityEval } from '../../evaluate/perplexityEval.js';
import { preferenceAccuracy } from '../../evaluate/preferenceAccuracy.js';
import { DEFAULT_RUBRIC, winRate } from '../../evaluate/winRate.js';
import { writeEvalReport } from '../../evaluate/writeEvalReport.js';
import { ModelLabError } from '../../engine/errors.js';
import type { LlamaRuntime } from '../../runtime/core/LlamaRuntime.js';
import { createEvalFolder } from '../../workspace/index.js';
import { CliUsageError } from '../CliUsageError.js';
import { readPrompts } from '../../evaluate/readPrompts.js';
import { readTextInputs } from '../../evaluate/readTextInputs.js';
import { dataDirectoryOption } from '../variantOutput.js';
import { GPU_USAGE, numberOption, parseCommand, withCliRuntime } from './llamaArgs.js';

const usage = 'eval MODEL [--lora FILE [--lora-scale S]] (--ppl FILE|GLOB | --pairs FILE | --prompts FILE --against MODEL2 --judge MODEL3) '
  + `[--out DIR | --data DIR] [--context N] [--max-tokens N] [--temperature T] [--seed N] [--rubric TEXT] [--json] [${GPU_USAGE}] [--threads N]`;

function label(file: string): string {
  return path.basename(file).replace(/\.gguf$/i, '');
}

async function outputFolder(values: Record<string, unknown>, kind: string): Promise<{ id: string; dir: string }> {
  if (typeof values.out === 'string' && values.out !== '') {
    const dir = path.resolve(values.out);
    await fs.mkdir(dir, { recursive: true });
    return { id: path.basename(dir), dir };
  }
  if (values.out !== undefined) throw new CliUsageError('--out needs a folder');
  return createEvalFolder(dataDirectoryOption(values), kind);
}

export async function run(args: string[]): Promise<void> {
  const { model, values } = parseCommand('eval', args, {
    lora: { type: 'string' }, 'lora-scale': { type: 'string' },
    ppl: { type: 'string' }, pairs: { type: 'string' }, prompts: { type: 'string' }, against: { type: 'string' }, judge: { type: 'string' },
    out: { type: 'string' }, data: { type: 'string' }, context: { type: 'string' },
    'max-tokens': { type: 'string' }, temperature: { type: 'string' }, seed: { type: 'string' }, rubric: { type: 'string' },
  }, usage);
  const modes = (['ppl', 'pairs', 'prompts'] as const).filter((m) => typeof values[m] === 'string');
  if (modes.length !== 1) throw new CliUsageError(`give one of --ppl, --pairs or --prompts (usage: ${usage})`);
  const mode = modes[0]!;
  if (mode === 'prompts' && typeof values.against !== 'string') throw new CliUsageError('--prompts needs --against MODEL2 (the model to compare with)');
  if (mode === 'prompts' && typeof values.judge !== 'string') {
    throw new CliUsageError('--prompts needs --judge MODEL3 (a local model that judges each pair in both orders; blind votes are cast in the Compare panel)');
  }
  if (mode !== 'prompts' && (values.against !== undefined || values.judge !== undefined)) throw new CliUsageError('--against and --judge go with --prompts');
  const loraScale = numberOption(values, 'lora-scale') ?? 1;
  if (values['lora-scale'] !== undefined && values.lora === undefined) throw new CliUsageError('--lora-scale needs --lora FILE');
  const contextSize = numberOption(values, 'context', { integer: true, min: 16 });
  const lora = typeof values.lora === 'string' ? [{ path: path.resolve(values.lora), scale: loraScale }] : undefined;
  const reported: ReportedModel = { label: label(model), file: path.resolve(model), ...(lora ? { lora: { file: lora[0]!.path, scale: loraScale } } : {}) };
  const started = Date.now();

  const report = await withCliRuntime(values, async (rt: LlamaRuntime): Promise<EvalReport> => {
    const info = await rt.loadModel({ id: 'a', path: model });
    const base = { schemaVersion: 1 as const, id: '', created: new Date().toISOString(), model: reported, seconds: 0 };
    const a = { modelId: 'a', label: reported.label, lora };
    if (mode === 'ppl') {
      const texts = await readTextInputs(values.ppl as string);
      const result = await perplexityEval(rt, a, texts, { contextSize });
      return { ...base, kind: 'perplexity', inputs: texts.map((t) => t.name), contextSize, result };
    }
    if (mode === 'pairs') {
      const format = chatFormatOf((await readGguf(model)).metadata);
      const texts = readTrlPairs(values.pairs as string).map((p) => pairTexts(p, format));
      if (texts.length === 0) throw new ModelLabError('NO_PAIRS', `${values.pairs as string} holds no pairs`);
      const result = await preferenceAccuracy(rt, a, texts, { contextSize });
      const withoutAdapter = lora ? await preferenceAccuracy(rt, { modelId: 'a', label: reported.label }, texts, { contextSize }) : undefined;
      return { ...base, kind: 'preference-accuracy', pairsFile: path.resolve(values.pairs as string), result, ...(withoutAdapter ? { withoutAdapter } : {}) };
    }
    const against = path.resolve(values.against as string);
    const judgeFile = path.resolve(values.judge as string);
    const infoB = await rt.loadModel({ id: 'b', path: against });
    const judgeId = judgeFile === path.resolve(model) ? 'a' : judgeFile === against ? 'b' : 'judge';
    if (judgeId === 'judge') await rt.loadModel({ id: 'judge', path: judgeFile });
    const prompts = await readPrompts(values.prompts as string);
    if (prompts.length === 0) throw new ModelLabError('BAD_PROMPTS', `${values.prompts as string} holds no prompts`);
    const sampling = {
      maxTokens: numberOption(values, 'max-tokens', { integer: true, min: 1 }) ?? 128,
      temperature: numberOption(values, 'temperature', { min: 0 }) ?? 0,
      seed: numberOption(values, 'seed', { integer: true, min: 0 }),
    };
    const rubric = typeof values.rubric === 'string' && values.rubric.trim() ? values.rubric : DEFAULT_RUBRIC;
    const result = await winRate(rt, {
      a: { ...a, mode: info.chatTemplate ? 'chat' : 'completion' },
      b: { modelId: 'b', label: label(against), mode: infoB.chatTemplate ? 'chat' : 'completion' },
      judge: { modelId: judgeId, label: label(judgeFile) },
      prompts, rubric, contextSize, ...sampling,
    });
    return {
      ...base, kind: 'win-rate', promptsFile: path.resolve(values.prompts as string),
      against: { label: label(against), file: against }, judge: { label: label(judgeFile), file: judgeFile }, rubric, sampling, result,
    };
  });

  const folder = await outputFolder(values, report.kind);
  const final: EvalReport = { ...report, id: folder.id, seconds: (Date.now() - started) / 1000 };
  const files = await writeEvalReport(folder.dir, final);
  const summary = reportSummary(final);
  if (values.json) {
    process.stdout.write(JSON.stringify({ ...summary, out: folder.dir, report: files.html }) + '\n');
    return;
  }
  const figures = Object.entries(summary)
    .filter(([, v]) => typeof v === 'number')
    .map(([k, v]) => `${k} ${Number.isInteger(v) ? v : (v as number).toFixed(4)}`)
    .join(', ');
  process.stdout.write(`${final.kind}: ${figures}\nreport: ${files.html}\n`);
}
