// Token streams from the text files of a folder, with a model's tokenizer: what a "train on my files" job learns
// from. Deterministic: the same folder content gives the same tokens (files in sorted path order).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ModelLabError } from '../../engine/errors.js';
import type { TextTokenizer } from '../../engine/tokenizer/index.js';

/** Source and prose files worth learning from; everything else (binaries, lock files, data) is skipped. */
const TEXT_EXTENSIONS = new Set(['.ts', '.tsx', '.js', '.mjs', '.cjs', '.jsx', '.py', '.md', '.txt', '.rs', '.go', '.java', '.c', '.h', '.cpp', '.cs', '.css', '.html', '.sh', '.rb', '.swift', '.kt']);
const SKIP_DIRS = new Set(['node_modules', 'dist', 'out', 'build', 'target', '__pycache__']);
/** Bigger files are generated or data more often than not. */
const MAX_FILE_BYTES = 512 * 1024;

export interface TextCorpusTokens {
  train: Int32Array;
  heldOut?: Int32Array;
  files: number;
  bytes: number;
}

function listTextFiles(root: string, maxBytes: number): string[] {
  const out: string[] = [];
  let total = 0;
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (total >= maxBytes) return;
      if (e.name.startsWith('.')) continue; // .git, .model-lab, .vscode…
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(p);
      } else if (e.isFile() && TEXT_EXTENSIONS.has(path.extname(e.name).toLowerCase())) {
        const size = statSync(p).size;
        if (size === 0 || size > MAX_FILE_BYTES) continue;
        out.push(p);
        total += size;
      }
    }
  };
  walk(root);
  return out;
}

/**
 * Tokenizes the text files under `folder` (up to `maxBytes`) with `tokenizer` (no BOS); each file ends with EOS. The
 * last files (about a tenth of the tokens) are held out when there are enough tokens for it.
 */
export async function textCorpusTokens(opts: { folder: string; tokenizer: TextTokenizer; maxBytes: number; minTokens: number; signal?: AbortSignal }): Promise<TextCorpusTokens> {
  const tok = opts.tokenizer;
  const files = listTextFiles(opts.folder, opts.maxBytes);
  const perFile: number[][] = [];
  let bytes = 0;
  for (const f of files) {
    if (opts.signal?.aborted) break;
    const text = readFileSync(f, 'utf8');
    bytes += Buffer.byteLength(text);
    perFile.push([...tok.encode(text), tok.eosId]);
  }
  const total = perFile.reduce((s, t) => s + t.length, 0);
  if (total < opts.minTokens) {
    throw new ModelLabError('JOB_TOO_LITTLE_TEXT', `${opts.folder} has ${total} tokens of text in ${files.length} files; training needs at least ${opts.minTokens}. Add source or text files to the folder.`);
  }
  // hold out whole files from the end while they stay under a tenth of the tokens
  let heldCount = 0;
  let split = perFile.length;
  while (split > 1 && heldCount + perFile[split - 1]!.length <= total / 10) heldCount += perFile[--split]!.length;
  const flat = (parts: number[][]): Int32Array => Int32Array.from(parts.flat());
  const heldOut = split < perFile.length && heldCount >= opts.minTokens / 4 ? flat(perFile.slice(split)) : undefined;
  return { train: heldOut ? flat(perFile.slice(0, split)) : flat(perFile), heldOut, files: files.length, bytes };
}
