// model-lab logprobs MODEL --text TEXT [--engine llama|lab] [--json]
// Natural-log probability of each token given the ones before it (token 0 has none). The model's own tokenization,
// with BOS when the model adds one. `--engine lab` computes the same numbers with Model Lab's own engine.
import { CliUsageError } from '../CliUsageError.js';
import { numberOption, parseCommand, requiredString, withCliRuntime, GPU_USAGE } from './llamaArgs.js';

const usage = `logprobs MODEL --text TEXT [--engine llama|lab] [--context N] [--json] [${GPU_USAGE}] [--threads N]`;

async function engineTokenLogprobs(modelPath: string, tokens: number[], threads: number | undefined): Promise<number[]> {
  // loaded only for --engine lab: the engine brings its WASM kernels and worker threads
  const { tokenLogprobs } = await import('../../engine/model/index.js');
  return tokenLogprobs(modelPath, tokens, { threads: threads || undefined });
}

function formatTable(r: { tokens: number[]; pieces: string[]; logprobs: Array<number | null> }): string {
  const lines = r.tokens.map((t, i) => {
    const lp = r.logprobs[i];
    return `${String(i).padStart(5)}  ${String(t).padStart(7)}  ${(lp === null ? '' : lp.toFixed(4)).padStart(10)}  ${JSON.stringify(r.pieces[i])}`;
  });
  const scored = r.logprobs.filter((x): x is number => x !== null);
  const sum = scored.reduce((a, b) => a + b, 0);
  return [`${'index'.padStart(5)}  ${'token'.padStart(7)}  ${'logprob'.padStart(10)}  piece`, ...lines, `sum ${sum.toFixed(4)} over ${scored.length} tokens`].join('\n');
}

export async function run(args: string[]): Promise<void> {
  const { model, values } = parseCommand('logprobs', args, {
    text: { type: 'string' },
    engine: { type: 'string' },
    context: { type: 'string' },
  }, usage);
  const text = requiredString(values, 'text', usage);
  const engine = (values.engine as string | undefined) ?? 'llama';
  if (engine !== 'llama' && engine !== 'lab') throw new CliUsageError(`--engine must be llama or lab, not '${engine}'`);
  const contextSize = numberOption(values, 'context', { integer: true, min: 16 });

  const result = await withCliRuntime(values, async (rt) => {
    await rt.loadModel({ id: 'model', path: model });
    if (engine === 'llama') return rt.logprobs({ modelId: 'model', text, contextSize });
    const { tokens, pieces } = rt.tokenize({ modelId: 'model', text, addBos: true });
    const threads = numberOption({ threads: (values.threads as string | undefined) ?? process.env.MODEL_LAB_THREADS }, 'threads', { integer: true, min: 0 });
    const lab = await engineTokenLogprobs(model, tokens, threads);
    return { tokens, pieces, logprobs: [null, ...lab] };
  });
  const out = { tokens: result.tokens, pieces: result.pieces, logprobs: result.logprobs };
  process.stdout.write((values.json ? JSON.stringify(out) : formatTable(out)) + '\n');
}
