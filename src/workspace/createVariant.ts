import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readGguf } from '../engine/gguf/index.js';
import { WorkspaceError } from './WorkspaceError.js';
import { readVariant, type Variant } from './listVariants.js';
import { reserveFolder } from './reserveFolder.js';
import { sha256File } from './sha256File.js';
import { TOOL_VERSION } from './toolVersion.js';
import {
  MANIFEST_FILE,
  PENDING_FILE,
  variantFileName,
  type VariantKind,
  type VariantManifest,
  type VariantParent,
} from './VariantManifest.js';
import { writeJsonAtomic } from './writeFileAtomic.js';
import { workspacePaths } from './workspacePaths.js';

export interface NewVariant {
  kind: VariantKind;
  /** How it is made (`prune-ffn`, `dpo`, `sft`, `merge`, …); also the start of its id. */
  method: string;
  /** A base model's file, a variant's file, or a variant of this data folder by id. */
  parent: { file: string } | { variant: string };
  parameters?: Record<string, unknown>;
  dataHash?: string | null;
  /** Hashing a multi-GB parent the first time takes seconds: it can be cancelled and reports progress. */
  signal?: AbortSignal;
  onHashProgress?: (done: number, total: number) => void;
}

/** A reserved variant folder: write the GGUF to `file`, then `commit`. Until then the variant is not listed. */
export interface PendingVariant {
  readonly id: string;
  readonly dir: string;
  readonly kind: VariantKind;
  /** Absolute path the job writes: `<dir>/model.gguf` or `<dir>/adapter.gguf`. */
  readonly file: string;
  readonly parent: VariantParent;
  /**
   * Checks the file with our GGUF reader, hashes it, and writes manifest.json atomically: from then on the
   * variant is listed. Calling it again after success returns the same variant.
   */
  commit(result?: { metrics?: Record<string, unknown>; signal?: AbortSignal }): Promise<Variant>;
  /** Deletes the reserved folder (a cancelled job); refuses once committed. */
  abandon(): Promise<void>;
}

/** pending.json: everything the manifest needs except what only the finished file can tell. */
interface PendingRecord {
  id: string;
  kind: VariantKind;
  method: string;
  parent: VariantParent;
  parameters: Record<string, unknown>;
  dataHash: string | null;
  reserved: string;
}

/**
 * Reserves `<dataDirectory>/variants/<id>/` for a new variant and records its parent (path, SHA-256 and variant
 * id). The folder has no manifest until `commit`, so a job that crashes never leaves a half variant in the list;
 * `openPendingVariant` picks the reservation up again after a restart.
 */
export async function createVariant(dataDirectory: string, spec: NewVariant): Promise<PendingVariant> {
  const paths = workspacePaths(dataDirectory);
  const parent = await resolveParent(dataDirectory, spec);
  const { id, dir } = await reserveFolder(paths.variants, spec.method);
  const record: PendingRecord = {
    id,
    kind: spec.kind,
    method: spec.method,
    parent,
    parameters: spec.parameters ?? {},
    dataHash: spec.dataHash ?? null,
    reserved: new Date().toISOString(),
  };
  try {
    await writeJsonAtomic(path.join(dir, PENDING_FILE), record);
  } catch (e) {
    await fs.rm(dir, { recursive: true, force: true });
    throw e;
  }
  return pendingVariant(dataDirectory, dir, record);
}

/** The reservation `createVariant` made for `id`, to finish it (a resumed job). */
export async function openPendingVariant(dataDirectory: string, id: string): Promise<PendingVariant> {
  const dir = path.join(workspacePaths(dataDirectory).variants, id);
  let record: PendingRecord;
  try {
    record = JSON.parse(await fs.readFile(path.join(dir, PENDING_FILE), 'utf8')) as PendingRecord;
  } catch {
    const done = await fs.stat(path.join(dir, MANIFEST_FILE)).then(() => true, () => false);
    throw new WorkspaceError(
      done ? 'VARIANT_NOT_PENDING' : 'VARIANT_NOT_FOUND',
      done ? `variant '${id}' is already registered` : `no unfinished variant '${id}' in ${dataDirectory}`,
    );
  }
  return pendingVariant(dataDirectory, dir, record);
}

async function resolveParent(dataDirectory: string, spec: NewVariant): Promise<VariantParent> {
  const variantsRoot = workspacePaths(dataDirectory).variants;
  let variantId: string | null = null;
  let file: string;
  if ('variant' in spec.parent) {
    variantId = spec.parent.variant;
    file = '';
  } else {
    file = path.resolve(spec.parent.file);
    // A file inside one of our variant folders is that variant: record the lineage, not just the path.
    const rel = path.relative(variantsRoot, file).split(path.sep);
    if (rel.length === 2 && rel[0] !== '..' && (rel[1] === 'model.gguf' || rel[1] === 'adapter.gguf')) variantId = rel[0];
  }
  if (variantId !== null) {
    const r = await readVariant(path.join(variantsRoot, variantId));
    if ('variant' in r && (file === '' || r.variant.path === file)) {
      const st = await fs.stat(r.variant.path);
      if (st.size !== r.variant.bytes) {
        throw new WorkspaceError('PARENT_CHANGED', `variant '${variantId}' changed since it was registered (${st.size} bytes, manifest says ${r.variant.bytes})`);
      }
      return { file: r.variant.path, sha256: r.variant.sha256, variant: variantId };
    }
    if (file === '') {
      const why = 'problem' in r ? r.problem : 'it is not finished';
      throw new WorkspaceError('VARIANT_NOT_FOUND', `variant '${variantId}' cannot be a parent: ${why}`);
    }
  }
  const st = await fs.stat(file).catch(() => null);
  if (!st?.isFile()) throw new WorkspaceError('PARENT_NOT_FOUND', `cannot open '${file}': no such file`);
  const sha256 = await sha256File(file, { cacheDirectory: workspacePaths(dataDirectory).cache, signal: spec.signal, onProgress: spec.onHashProgress });
  return { file, sha256, variant: null };
}

function pendingVariant(dataDirectory: string, dir: string, record: PendingRecord): PendingVariant {
  const file = path.join(dir, variantFileName(record.kind));
  return {
    id: record.id,
    dir,
    kind: record.kind,
    file,
    parent: record.parent,
    async commit(result = {}) {
      const existing = await readVariant(dir);
      if ('variant' in existing) return existing.variant;
      const st = await fs.stat(file).catch(() => null);
      if (!st?.isFile()) throw new WorkspaceError('VARIANT_FILE_MISSING', `variant '${record.id}' has no ${path.basename(file)} to register`);
      await readGguf(file, { signal: result.signal }); // a torn or foreign file fails here, before anyone lists it
      const sha256 = await sha256File(file, { cacheDirectory: workspacePaths(dataDirectory).cache, signal: result.signal });
      const manifest: VariantManifest = {
        schema: 1,
        id: record.id,
        kind: record.kind,
        file: variantFileName(record.kind),
        sha256,
        bytes: st.size,
        parent: record.parent,
        method: record.method,
        parameters: record.parameters,
        dataHash: record.dataHash,
        metrics: result.metrics ?? {},
        created: new Date().toISOString(),
        toolVersion: TOOL_VERSION,
      };
      await writeJsonAtomic(path.join(dir, MANIFEST_FILE), manifest);
      await fs.rm(path.join(dir, PENDING_FILE), { force: true });
      return { ...manifest, dir, path: file };
    },
    async abandon() {
      if (await fs.stat(path.join(dir, MANIFEST_FILE)).then(() => true, () => false)) {
        throw new WorkspaceError('VARIANT_NOT_PENDING', `variant '${record.id}' is registered; delete its folder to remove it`);
      }
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}
