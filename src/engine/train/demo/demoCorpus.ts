import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ModelLabError } from '../../errors.js';

export interface CorpusFile {
  name: string;
  split: 'train' | 'heldout';
  chars: number;
  sha256: string;
  text: string;
}

export interface DemoCorpus {
  source: string;
  packageVersion: string;
  license: string;
  files: CorpusFile[];
  /** SHA-256 over every file in order: name, NUL, text, NUL (the corpus "as assembled"). */
  sha256: string;
  train: CorpusFile[];
  heldOut: CorpusFile[];
}

/**
 * Which TypeScript lib files are held out for evaluation: whole files, never seen in training. Chosen by name so the
 * split is stable across versions of the package; each is an ordinary ES lib file (declarations + JSDoc).
 */
export const HELD_OUT_FILES = [
  'lib.es2015.collection.d.ts',
  'lib.es2015.promise.d.ts',
  'lib.es2017.typedarrays.d.ts',
  'lib.es2018.asyncgenerator.d.ts',
  'lib.es2019.array.d.ts',
  'lib.es2020.intl.d.ts',
  'lib.es2021.weakref.d.ts',
  'lib.es2022.error.d.ts',
  'lib.es2024.sharedmemory.d.ts',
  'lib.esnext.disposable.d.ts',
];

/**
 * The demo model's corpus: the TypeScript compiler's `lib.*.d.ts` files (Apache-2.0), read from the installed
 * `typescript` package. The web-worker libs are left out: they repeat lib.dom.d.ts and would leak its text into the
 * held-out split's neighbourhood and inflate the corpus without adding anything.
 */
export function loadDemoCorpus(typescriptDir: string): DemoCorpus {
  const pkgPath = path.join(typescriptDir, 'package.json');
  let pkg: { version: string; license: string };
  try {
    pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
  } catch {
    throw new ModelLabError('DEMO_CORPUS_MISSING', `Cannot read ${pkgPath}: install the typescript package (npm ci).`);
  }
  const libDir = path.join(typescriptDir, 'lib');
  const names = readdirSync(libDir)
    .filter((n) => /^lib\..*\.d\.ts$/.test(n) && !n.startsWith('lib.webworker'))
    .sort();
  const hash = createHash('sha256');
  const files: CorpusFile[] = names.map((name) => {
    const text = readFileSync(path.join(libDir, name), 'utf8');
    hash.update(name).update('\0').update(text).update('\0');
    return {
      name,
      split: HELD_OUT_FILES.includes(name) ? 'heldout' : 'train',
      chars: text.length,
      sha256: createHash('sha256').update(text).digest('hex'),
      text,
    };
  });
  return {
    source: `typescript@${pkg.version} lib/lib.*.d.ts (without lib.webworker*)`,
    packageVersion: pkg.version,
    license: pkg.license,
    files,
    sha256: hash.digest('hex'),
    train: files.filter((f) => f.split === 'train'),
    heldOut: files.filter((f) => f.split === 'heldout'),
  };
}
