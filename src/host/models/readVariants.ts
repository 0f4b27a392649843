import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { VariantEntry } from './ModelEntry.js';

const MAX_MANIFEST_BYTES = 1 << 20;
const MAX_VARIANTS = 500;

const asString = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);

/** The parent may be written as a string or as an object naming a path or an id. */
function parentOf(m: Record<string, unknown>): string | null {
  const p = m.parent;
  if (typeof p === 'string') return asString(p);
  if (p && typeof p === 'object') {
    const o = p as Record<string, unknown>;
    return asString(o.path) ?? asString(o.id) ?? asString(o.model);
  }
  return null;
}

async function exists(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isFile();
  } catch {
    return false;
  }
}

/**
 * Reads `<dataDirectory>/variants/<id>/manifest.json`. A manifest that is missing, too large, not JSON or has no
 * parent is skipped and reported through `onSkip` (it is someone's half-written run, not a reason to fail the view).
 */
export async function readVariants(dataDirectory: string, onSkip?: (dir: string, reason: string) => void): Promise<VariantEntry[]> {
  const root = path.join(dataDirectory, 'variants');
  let dirs;
  try {
    dirs = (await fs.readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch {
    return [];
  }
  const out: VariantEntry[] = [];
  for (const id of dirs.slice(0, MAX_VARIANTS)) {
    const dir = path.join(root, id);
    const file = path.join(dir, 'manifest.json');
    let manifest: Record<string, unknown>;
    try {
      const st = await fs.stat(file);
      if (st.size > MAX_MANIFEST_BYTES) throw new Error('manifest.json is larger than 1 MB');
      const parsed: unknown = JSON.parse(await fs.readFile(file, 'utf8'));
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('manifest.json is not a JSON object');
      manifest = parsed as Record<string, unknown>;
    } catch (e) {
      onSkip?.(dir, e instanceof Error ? e.message : String(e));
      continue;
    }
    const parent = parentOf(manifest);
    if (!parent) {
      onSkip?.(dir, 'manifest.json names no parent');
      continue;
    }
    const declared = asString(manifest.file) ?? asString(manifest.path);
    const candidates = [
      ...(declared ? [path.resolve(dir, declared)] : []),
      path.join(dir, 'adapter.gguf'),
      path.join(dir, 'model.gguf'),
    ].filter((p) => p.startsWith(dir + path.sep)); // a manifest must not point outside its folder
    let gguf: string | null = null;
    for (const c of candidates) if (await exists(c)) { gguf = c; break; }
    const kindRaw = String(manifest.kind ?? manifest.type ?? '').toLowerCase();
    const kind: VariantEntry['kind'] =
      kindRaw === 'adapter' || kindRaw === 'lora' || (gguf !== null && path.basename(gguf) === 'adapter.gguf') ? 'adapter' : 'model';
    out.push({
      id: asString(manifest.id) ?? id,
      name: asString(manifest.name) ?? id,
      kind,
      path: gguf,
      parent,
      method: asString(manifest.method),
      created: asString(manifest.created),
      dir,
    });
  }
  return out;
}
