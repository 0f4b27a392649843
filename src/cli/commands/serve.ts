// model-lab serve MODEL [--lora FILE [--lora-scale S]] [--port P] [--host H] [--api-key KEY] [--name NAME] [--context N]
// An OpenAI-compatible server (src/serve) until SIGTERM or Ctrl-C. Prints one line with the base URL on stdout when
// it listens, one line per request on stderr.
import path from 'node:path';
import { OpenAiServer } from '../../serve/OpenAiServer.js';
import { CliUsageError } from '../CliUsageError.js';
import { numberOption, parseCommand, withCliRuntime } from './llamaArgs.js';

const usage = 'serve MODEL [--lora FILE] [--lora-scale S] [--port P] [--host 127.0.0.1] [--api-key KEY] [--name NAME] [--context N] [--gpu …] [--threads N]';

/** Loopback addresses: serving there needs no key; anywhere else it does. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

export async function run(args: string[]): Promise<void> {
  const { model, values } = parseCommand('serve', args, {
    lora: { type: 'string' },
    'lora-scale': { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    'api-key': { type: 'string' },
    name: { type: 'string' },
    context: { type: 'string' },
  }, usage);
  const loraScale = numberOption(values, 'lora-scale');
  if (loraScale !== undefined && values.lora === undefined) throw new CliUsageError('--lora-scale needs --lora FILE');
  const port = numberOption(values, 'port', { integer: true, min: 0 }) ?? 8080;
  if (port > 65535) throw new CliUsageError('--port must be at most 65535');
  const contextSize = numberOption(values, 'context', { integer: true, min: 16 });
  const host = (values.host as string | undefined) ?? '127.0.0.1';
  const apiKey = (values['api-key'] as string | undefined) ?? process.env.MODEL_LAB_API_KEY;
  if (!isLoopbackHost(host) && !apiKey) {
    throw new CliUsageError(`serving on ${host} makes the model reachable from other machines: give --api-key KEY (or MODEL_LAB_API_KEY)`);
  }
  const modelName = (values.name as string | undefined) ?? path.basename(model).replace(/\.gguf$/i, '');

  await withCliRuntime(values, async (rt) => {
    await rt.loadModel({ id: 'model', path: model });
    const lora = typeof values.lora === 'string' ? [{ path: values.lora, scale: loraScale ?? 1 }] : undefined;
    await rt.createSession({ id: 'serve', modelId: 'model', lora, contextSize });
    const server = new OpenAiServer({
      runtime: rt, modelId: 'model', modelName, sessionId: 'serve', lora, host, port, apiKey,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    const url = await server.listen();
    process.stdout.write(`Model Lab serves ${modelName} at ${url}\n`);
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        void server.close().then(resolve);
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
  });
}
