// model-lab ppl MODEL --file FILE [--lora FILE] [--context N] [--json]
// Perplexity exp(mean −log p) over every token of the file after the first. Texts longer than the context are
// scored in windows of N tokens that overlap by half; each token is scored once.
import { readUtf8File } from '../../workspace/index.js';
import { numberOption, parseCommand, requiredString, withCliRuntime, GPU_USAGE } from './llamaArgs.js';

const usage = `ppl MODEL --file FILE [--lora FILE] [--lora-scale S] [--context N] [--json] [${GPU_USAGE}] [--threads N]`;

export async function run(args: string[]): Promise<void> {
  const { model, values } = parseCommand('ppl', args, {
    file: { type: 'string' },
    lora: { type: 'string' },
    'lora-scale': { type: 'string' },
    context: { type: 'string' },
  }, usage);
  const file = requiredString(values, 'file', usage);
  const contextSize = numberOption(values, 'context', { integer: true, min: 16 });
  const loraScale = numberOption(values, 'lora-scale');
  const text = await readUtf8File(file);
  const result = await withCliRuntime(values, async (rt) => {
    await rt.loadModel({ id: 'model', path: model });
    const lora = typeof values.lora === 'string' ? [{ path: values.lora, scale: loraScale ?? 1 }] : undefined;
    return rt.perplexity({ modelId: 'model', text, lora, contextSize });
  });
  if (values.json) process.stdout.write(JSON.stringify({ ppl: result.ppl, tokens: result.tokens }) + '\n');
  else process.stdout.write(`perplexity ${result.ppl.toFixed(4)} over ${result.tokens} tokens (${result.windows} window${result.windows === 1 ? '' : 's'})\n`);
}
