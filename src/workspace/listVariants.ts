import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MANIFEST_FILE, parseVariantManifest, type VariantManifest } from './VariantManifest.js';
import { workspacePaths } from './workspacePaths.js';
import { isSafeId } from './newVariantId.js';

/** A registered variant: its manifest, its folder and the absolute path of its GGUF. */
export interface Variant extends VariantManifest {
  dir: string;
  path: string;
}

/** A folder that could not be listed as a variant, and why (one line). */
export interface VariantProblem {
  dir: string;
  reason: string;
}

export interface VariantListing {
  /** Sorted by id (ids start with the method, then the time made). */
  variants: Variant[];
  /** Reserved folders whose job has not committed yet (running, or crashed and resumable). */
  pending: Array<{ id: string; dir: string }>;
  /** Folders with a manifest that does not validate, or whose GGUF is gone. */
  problems: VariantProblem[];
}

const MAX_MANIFEST_BYTES = 1 << 20;
const MAX_VARIANTS = 2000;

/**
 * Reads one committed variant, or says why it cannot: `{ variant }` or `{ problem }`; `{ pending: true }` for a
 * folder that has no manifest yet. Never throws for what is on disk.
 */
export async function readVariant(dir: string): Promise<{ variant: Variant } | { problem: string } | { pending: true }> {
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    const st = await fs.stat(file);
    if (st.size > MAX_MANIFEST_BYTES) return { problem: 'manifest.json is larger than 1 MB' };
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { pending: true };
    return { problem: `manifest.json cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { problem: 'manifest.json is not valid JSON' };
  }
  const parsed = parseVariantManifest(json, path.basename(dir));
  if ('error' in parsed) return { problem: `manifest.json: ${parsed.error}` };
  const gguf = path.join(dir, parsed.manifest.file);
  const st = await fs.stat(gguf).catch(() => null);
  if (!st?.isFile()) return { problem: `${parsed.manifest.file} is missing` };
  return { variant: { ...parsed.manifest, dir, path: gguf } };
}

/**
 * Every variant under `<dataDirectory>/variants/`. A folder without manifest.json is a job still writing (or one
 * that died): it is listed as pending, never as a variant. Temporary files left by a crash are ignored. A missing
 * data folder is an empty listing.
 */
export async function listVariants(dataDirectory: string): Promise<VariantListing> {
  const root = workspacePaths(dataDirectory).variants;
  const out: VariantListing = { variants: [], pending: [], problems: [] };
  let names: string[];
  try {
    names = (await fs.readdir(root, { withFileTypes: true }))
      .filter((d) => d.isDirectory() && isSafeId(d.name))
      .map((d) => d.name)
      .sort();
  } catch {
    return out;
  }
  if (names.length > MAX_VARIANTS) {
    out.problems.push({ dir: root, reason: `${names.length} folders: only the first ${MAX_VARIANTS} are listed` });
    names = names.slice(0, MAX_VARIANTS);
  }
  const read = await Promise.all(names.map(async (id) => ({ id, dir: path.join(root, id), r: await readVariant(path.join(root, id)) })));
  for (const { id, dir, r } of read) {
    if ('variant' in r) out.variants.push(r.variant);
    else if ('problem' in r) out.problems.push({ dir, reason: r.problem });
    else out.pending.push({ id, dir });
  }
  return out;
}
