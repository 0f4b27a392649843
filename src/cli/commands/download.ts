// model-lab download URI [--out DIR] [--json]
// Downloads a model (hf:user/repo/file.gguf[#branch], hf:user/repo:quant, or an http(s) URL) into DIR (default: the
// current folder), resuming a partial file, and checks it with our GGUF reader. Prints the file's path (or one
// JSON object { path, bytes, skipped }). Offline or unreachable: one line on stderr and exit 1, in seconds.
// Progress goes to stderr when it is a terminal.
import { parseArgs } from 'node:util';
import path from 'node:path';
import { formatBytes } from '../../protocol/formatBytes.js';
import { downloadModel } from '../../runtime/download/downloadModel.js';
import { CliUsageError } from '../CliUsageError.js';
import { cancelOnInterrupt } from '../cancelOnInterrupt.js';

const usage = 'usage: model-lab download URI [--out DIR] [--json]';

export async function run(args: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { out: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CliUsageError(`${(err as Error).message.split('\n')[0]} (${usage})`);
  }
  const [uri, ...extra] = parsed.positionals;
  if (!uri || extra.length > 0) throw new CliUsageError(usage);
  const dirPath = path.resolve(parsed.values.out ?? '.');
  const tty = process.stderr.isTTY === true;
  const ac = cancelOnInterrupt();
  try {
    const r = await downloadModel({
      uri,
      dirPath,
      signal: ac.signal,
      hfEndpoint: process.env.MODEL_LAB_HF_ENDPOINT || undefined,
      progressIntervalMs: 500,
      onProgress: tty
        ? (p) => process.stderr.write(`\r${formatBytes(p.downloadedBytes)} of ${formatBytes(p.totalBytes)} · ${formatBytes(p.bytesPerSecond)}/s   `)
        : undefined,
    });
    if (tty) process.stderr.write('\n');
    process.stdout.write(parsed.values.json ? JSON.stringify(r) + '\n' : `${r.path}\n`);
  } finally {
    ac.dispose();
  }
}
