// model-lab generate MODEL --prompt TEXT [--lora FILE] [--lora-scale S] [--max-tokens N] [--temperature T] [--seed N] [--json]
// Streams the continuation of the prompt to stdout (or prints one JSON object with --json).
import { CliUsageError } from '../CliUsageError.js';
import { numberOption, parseCommand, requiredString, withCliRuntime, GPU_USAGE } from './llamaArgs.js';

const usage = `generate MODEL --prompt TEXT [--lora FILE] [--lora-scale S] [--max-tokens N] [--temperature T] [--seed N] [--chat] [--context N] [--json] [${GPU_USAGE}] [--threads N]`;

export async function run(args: string[]): Promise<void> {
  const { model, values } = parseCommand('generate', args, {
    prompt: { type: 'string' },
    lora: { type: 'string' },
    'lora-scale': { type: 'string' },
    'max-tokens': { type: 'string' },
    temperature: { type: 'string' },
    seed: { type: 'string' },
    context: { type: 'string' },
    chat: { type: 'boolean' },
  }, usage);
  const prompt = requiredString(values, 'prompt', usage);
  const loraScale = numberOption(values, 'lora-scale');
  if (loraScale !== undefined && values.lora === undefined) throw new CliUsageError('--lora-scale needs --lora FILE');
  const maxTokens = numberOption(values, 'max-tokens', { integer: true, min: 1 }) ?? 128;
  const temperature = numberOption(values, 'temperature', { min: 0 });
  const seed = numberOption(values, 'seed', { integer: true, min: 0 });
  const contextSize = numberOption(values, 'context', { integer: true, min: 16 });
  const json = values.json === true;

  await withCliRuntime(values, async (rt) => {
    await rt.loadModel({ id: 'model', path: model });
    const lora = typeof values.lora === 'string' ? [{ path: values.lora, scale: loraScale ?? 1 }] : undefined;
    await rt.createSession({ id: 'session', modelId: 'model', lora, contextSize });
    const result = await rt.generate(
      { sessionId: 'session', generationId: 'cli', prompt, maxTokens, temperature, seed, mode: values.chat ? 'chat' : 'completion' },
      json ? undefined : (c) => process.stdout.write(c.text),
    );
    if (json) {
      const { generationId: _id, ...rest } = result;
      process.stdout.write(JSON.stringify(rest) + '\n');
    } else {
      process.stdout.write('\n');
    }
  });
}
