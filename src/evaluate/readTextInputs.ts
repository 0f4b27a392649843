// Text inputs (model-lab ppl/prune/eval, the Evaluate panel): a file, or a glob (`*`, `?`, `**` across folders) such as `src/**/*.ts`.
// Node 20 has no fs.glob, so the pattern is matched here: the folders before the first wildcard are walked,
// skipping node_modules and hidden folders unless the pattern names them.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ModelLabError } from '../engine/errors.js';
import { decodeUtf8Text } from '../workspace/readUtf8File.js';

export interface TextInput {
  /** the path as the user would write it (relative to cwd when inside it) */
  name: string;
  text: string;
}

const WILDCARD = /[*?[]/;
/** Files larger than this are refused: a text input is read whole. */
const MAX_TEXT_BYTES = 64 << 20;

function patternToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` matches any number of folders, including none
      const slash = pattern[i + 2] === '/';
      re += slash ? '(?:[^/]*/)*' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|\\[\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

async function walk(dir: string, out: string[], includeHidden: boolean): Promise<void> {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!includeHidden && (e.name.startsWith('.') || e.name === 'node_modules')) continue;
      await walk(p, out, includeHidden);
    } else if (e.isFile()) out.push(p);
  }
}

/** The files a pattern names, sorted; a pattern without wildcards is that one file. */
export async function expandFilePattern(pattern: string, cwd = process.cwd()): Promise<string[]> {
  if (!WILDCARD.test(pattern)) return [path.resolve(cwd, pattern)];
  const abs = path.resolve(cwd, pattern).split(path.sep).join('/');
  const firstWild = abs.search(WILDCARD);
  const root = abs.slice(0, abs.lastIndexOf('/', firstWild) + 1) || '/';
  const matcher = patternToRegExp(abs);
  const files: string[] = [];
  await walk(root, files, /(^|\/)\./.test(abs.slice(root.length)));
  return files.filter((f) => matcher.test(f.split(path.sep).join('/'))).sort();
}

/** Reads every file a pattern names as UTF-8 text; nothing matched or an unreadable file is a one-line error. */
export async function readTextInputs(pattern: string, cwd = process.cwd()): Promise<TextInput[]> {
  const files = await expandFilePattern(pattern, cwd);
  if (files.length === 0) throw new ModelLabError('NO_FILES', `no file matches ${pattern}`);
  const out: TextInput[] = [];
  for (const file of files) {
    const name = path.relative(cwd, file).startsWith('..') ? file : path.relative(cwd, file);
    try {
      const st = await fs.stat(file);
      if (st.size > MAX_TEXT_BYTES) throw new ModelLabError('FILE_TOO_LARGE', `${name} is ${(st.size / 2 ** 20).toFixed(0)} MiB; text inputs are read whole (at most 64 MiB)`);
      out.push({ name, text: decodeUtf8Text(await fs.readFile(file), name) });
    } catch (err) {
      if (err instanceof ModelLabError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      throw new ModelLabError('FILE_UNREADABLE', `cannot read ${name}: ${code === 'ENOENT' ? 'no such file' : code ?? (err as Error).message}`);
    }
  }
  return out;
}
