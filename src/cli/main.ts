// `model-lab` command line. Every command lives in src/cli/commands/<name>.ts and exports
// `run(args: string[]): Promise<void>` writing its result to stdout. Errors: one line on stderr, exit 1;
// usage errors exit 2; nothing on stdout in either case.
import { CliUsageError } from './CliUsageError.js';

type Command = { summary: string; load: () => Promise<{ run(args: string[]): Promise<void> }> };

const commands: Record<string, Command> = {
  inspect: { summary: 'inspect FILE [--json]                        model card and tensor table of a GGUF file', load: () => import('./commands/inspect.js') },
  generate: { summary: 'generate MODEL --prompt TEXT [options]       generate text with llama.cpp', load: () => import('./commands/generate.js') },
  logprobs: { summary: 'logprobs MODEL --text TEXT [--engine llama|lab] [--json]   per-token log-probabilities', load: () => import('./commands/logprobs.js') },
  ppl: { summary: 'ppl MODEL --file FILE [--lora FILE] [--context N] [--json]   perplexity of a text', load: () => import('./commands/ppl.js') },
  eval: { summary: 'eval MODEL [--lora A] (--ppl GLOB | --pairs FILE | --prompts FILE --against M2 --judge M3) [--out DIR] [--json]   quick evaluations with a report', load: () => import('./commands/eval.js') },
  serve: { summary: 'serve MODEL [--lora FILE] [--port P] [--host H] [--api-key K]   OpenAI-compatible server (loopback by default)', load: () => import('./commands/serve.js') },
  pairs: { summary: 'pairs import FILE | export --format trl|hf|csv --out FILE | stats [--data DIR] [--json]   the preference store', load: () => import('./commands/pairs.js') },
  adapter: { summary: 'adapter merge MODEL ADAPTER.gguf --out MERGED.gguf | export-peft ADAPTER.gguf --out DIR | import-peft DIR --base MODEL --out ADAPTER.gguf   LoRA adapters', load: () => import('./commands/adapter.js') },
  train: { summary: 'train MODEL --pairs FILE.jsonl [--out ADAPTER.gguf | --data DIR] [--method dpo|ipo|sft] [--json]   LoRA preference tuning; train MODEL --method dno --prompts FILE (--judge MODEL | --judge-command CMD) [--pairs FILE.jsonl] [--iterations 2]   DNO iterations', load: () => import('./commands/train.js') },
  prune: { summary: 'prune MODEL --method M --sparsity S [--allocation uniform|global] [--out OUT.gguf | --data DIR] [--json]   remove FFN neurons', load: () => import('./commands/prune.js') },
  download: { summary: 'download URI [--out DIR] [--json]           download a model (hf:user/repo/file.gguf or a URL)', load: () => import('./commands/download.js') },
  redundancy: { summary: 'redundancy MODEL [--calib FILE|GLOB] [--json]   how redundant each FFN layer\'s neurons are', load: () => import('./commands/redundancy.js') },
  variants: { summary: 'variants [--data DIR] [--json]              variants in a data folder, with their lineage', load: () => import('./commands/variants.js') },
};

function usage(): string {
  return ['usage: model-lab <command> [options]', '', ...Object.values(commands).map((c) => `  ${c.summary}`)].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  const command = commands[name];
  try {
    if (!command) throw new CliUsageError(`unknown command '${name}' (try: ${Object.keys(commands).join(', ')})`);
    const mod = await command.load();
    await mod.run(rest);
    return 0;
  } catch (err) {
    const e = err as Error & { code?: string };
    let line = (e?.message ?? String(err)).split('\n')[0];
    // an error about one of several files (a malformed GGUF) names the file when its message does not
    const file = (e as { file?: unknown })?.file;
    if (typeof file === 'string' && !line.includes(file)) line = `${file}: ${line}`;
    process.stderr.write(`model-lab ${name}: ${line}\n`);
    return e instanceof CliUsageError ? 2 : 1;
  }
}

const code = await main(process.argv.slice(2));
// Let pending stdout drain, then exit even if a native library keeps handles open.
process.stdout.write('', () => process.exit(code));
