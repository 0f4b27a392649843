// model-lab inspect FILE [--json]
// Model card and tensor table of a GGUF file, read from its header only. --json prints one object:
// { architecture, spec, metadata (arrays over 64 elements as {type, length}), tensors, parameters, fileBytes, … }.
import { formatBytes } from '../../protocol/formatBytes.js';
import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { readGguf, summarizeGguf, type GgufSummary } from '../../engine/gguf/index.js';
import { ModelLabError } from '../../engine/errors.js';
import { CliUsageError } from '../CliUsageError.js';
import { GENERAL } from '../../engine/gguf/metadataKeys.js';

const usage = 'usage: model-lab inspect FILE [--json]';

export async function run(args: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CliUsageError(`${(err as Error).message.split('\n')[0]} (${usage})`);
  }
  const [file, ...extra] = parsed.positionals;
  if (!file || extra.length > 0) throw new CliUsageError(usage);
  const info = await stat(file).catch(() => undefined);
  if (!info) throw new ModelLabError('FILE_NOT_FOUND', `cannot open '${file}': no such file`);
  if (!info.isFile()) throw new ModelLabError('NOT_A_FILE', `'${file}' is not a file`);
  const summary = summarizeGguf(await readGguf(file));
  if (parsed.values.json) {
    const { architecture, spec, metadata, tensors, parameters, fileBytes, byType, version, alignment, warnings } = summary;
    process.stdout.write(JSON.stringify({ architecture, spec, metadata, tensors, parameters, fileBytes, byType, version, alignment, warnings }) + '\n');
  } else {
    process.stdout.write(formatText(file, summary));
  }
}

function formatText(file: string, s: GgufSummary): string {
  const lines: string[] = [];
  const row = (label: string, text: string): void => void lines.push(`${label.padEnd(12)}${text}`);
  row('file', `${file} (${formatBytes(s.fileBytes)}, GGUF v${s.version}, alignment ${s.alignment})`);
  const sp = s.spec;
  if (sp) {
    const ff = Array.isArray(sp.nFf) ? `n_ff per layer ${sp.nFf.join(',')}` : `n_ff ${sp.nFf}`;
    row('model', `${sp.architecture}: ${sp.nLayer} layers, n_embd ${sp.nEmbd}, ${sp.nHead} heads (${sp.nHeadKv} KV, dim ${sp.headDim}), ${ff}`);
    row('', `vocab ${sp.nVocab}, context ${sp.contextLength}, rope ${sp.ropeType} base ${sp.ropeBase} dims ${sp.ropeDims}, norm eps ${sp.normEps.toPrecision(3)}, ${sp.tiedOutput ? 'tied' : 'separate'} output`);
    row('tokenizer', `${sp.tokenizerModel ?? 'none'}; chat template: ${sp.chatTemplate ? `${sp.chatTemplate.length} chars` : 'none'}`);
  } else {
    row('model', s.architecture ? `${s.architecture} (not a complete model: ${String(s.metadata[GENERAL.type] ?? 'no sizes')})` : 'no architecture');
  }
  row('parameters', `${s.parameters.toLocaleString('en-US')} (${(s.parameters / 1e6).toFixed(2)} M) in ${s.tensors.length} tensors`);
  for (const [i, t] of s.byType.entries()) {
    row(i === 0 ? 'types' : '', `${t.type.padEnd(6)} ${String(t.tensors).padStart(5)} tensors ${formatBytes(t.bytes).padStart(10)}  ${((100 * t.bytes) / Math.max(1, s.fileBytes)).toFixed(1).padStart(5)}% of file`);
  }
  for (const w of s.warnings) row('warning', w);
  lines.push('');
  const nameWidth = Math.max(6, ...s.tensors.map((t) => t.name.length)) + 2;
  lines.push(`${'tensor'.padEnd(nameWidth)}${'type'.padEnd(8)}${'shape (ne)'.padEnd(22)}${'offset'.padStart(14)}${'bytes'.padStart(14)}`);
  for (const t of s.tensors) {
    lines.push(`${t.name.padEnd(nameWidth)}${t.type.padEnd(8)}${t.shape.join(' × ').padEnd(22)}${String(t.offset).padStart(14)}${String(t.bytes).padStart(14)}`);
  }
  return lines.join('\n') + '\n';
}
