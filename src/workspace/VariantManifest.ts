import { isSafeId } from './newVariantId.js';

/** pruned: FFN neurons removed from a model; adapter: a LoRA adapter for its parent; merged: an adapter folded in. */
export type VariantKind = 'pruned' | 'adapter' | 'merged';
export const VARIANT_KINDS: readonly VariantKind[] = ['pruned', 'adapter', 'merged'];

/** The GGUF file a variant's folder holds, by kind. */
export type VariantFileName = 'model.gguf' | 'adapter.gguf';
export const variantFileName = (kind: VariantKind): VariantFileName => (kind === 'adapter' ? 'adapter.gguf' : 'model.gguf');

/** What a variant was made from. */
export interface VariantParent {
  /** Absolute path of the parent's GGUF when the variant was made (a base model, or another variant's file). */
  file: string;
  /** SHA-256 of that file: identifies the parent even when it has moved. */
  sha256: string;
  /** The parent variant's id when the parent is a variant of this data folder, else null (a base model). */
  variant: string | null;
}

/** `variants/<id>/manifest.json`. Written once, when the variant's file is complete. */
export interface VariantManifest {
  schema: 1;
  /** Equals the folder name. */
  id: string;
  kind: VariantKind;
  /** The GGUF in the same folder. */
  file: VariantFileName;
  /** SHA-256 and size of that file when registered. */
  sha256: string;
  bytes: number;
  parent: VariantParent;
  /** How it was made, e.g. `prune-ffn`, `dpo`, `sft`, `merge`. */
  method: string;
  /** The method's settings, as the user gave them (JSON). */
  parameters: Record<string, unknown>;
  /** SHA-256 of the training or calibration data, when the method used data. */
  dataHash: string | null;
  /** Measured results (loss, perplexity, kept fraction, …), as JSON. */
  metrics: Record<string, unknown>;
  /** ISO 8601, UTC. */
  created: string;
  /** Model Lab version that wrote it. */
  toolVersion: string;
}

export const MANIFEST_FILE = 'manifest.json';
/** Written at reservation, removed at commit: what a job needs to finish the variant, even after a restart. */
export const PENDING_FILE = 'pending.json';

const SHA = /^[0-9a-f]{64}$/;
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Checks a manifest read from disk. Returns the manifest, or one line saying what is wrong with it; never throws,
 * so one bad folder cannot break a listing.
 */
export function parseVariantManifest(value: unknown, folderName?: string): { manifest: VariantManifest } | { error: string } {
  const err = (error: string) => ({ error });
  if (!isObject(value)) return err('manifest is not a JSON object');
  const m = value;
  if (m.schema !== 1) return err(`unknown manifest schema ${JSON.stringify(m.schema)} (expected 1)`);
  if (typeof m.id !== 'string' || !isSafeId(m.id)) return err('id is missing or not a safe folder name');
  if (folderName !== undefined && m.id !== folderName) return err(`id '${m.id}' differs from its folder '${folderName}'`);
  if (typeof m.kind !== 'string' || !VARIANT_KINDS.includes(m.kind as VariantKind)) return err(`kind must be one of ${VARIANT_KINDS.join(', ')}`);
  const kind = m.kind as VariantKind;
  if (m.file !== variantFileName(kind)) return err(`file must be '${variantFileName(kind)}' for kind ${kind}`);
  if (typeof m.sha256 !== 'string' || !SHA.test(m.sha256)) return err('sha256 is not a SHA-256 in hex');
  if (!Number.isSafeInteger(m.bytes) || (m.bytes as number) < 0) return err('bytes is not a size');
  const p = m.parent;
  if (!isObject(p)) return err('parent is missing');
  if (typeof p.file !== 'string' || p.file === '') return err('parent.file is missing');
  if (typeof p.sha256 !== 'string' || !SHA.test(p.sha256)) return err('parent.sha256 is not a SHA-256 in hex');
  if (p.variant !== null && (typeof p.variant !== 'string' || !isSafeId(p.variant))) return err('parent.variant must be a variant id or null');
  if (p.variant === m.id) return err('a variant cannot be its own parent');
  if (typeof m.method !== 'string' || m.method === '') return err('method is missing');
  if (!isObject(m.parameters)) return err('parameters must be an object');
  if (m.dataHash !== null && typeof m.dataHash !== 'string') return err('dataHash must be a string or null');
  if (!isObject(m.metrics)) return err('metrics must be an object');
  if (typeof m.created !== 'string' || Number.isNaN(Date.parse(m.created))) return err('created is not a date');
  if (typeof m.toolVersion !== 'string') return err('toolVersion is missing');
  return {
    manifest: {
      schema: 1,
      id: m.id,
      kind,
      file: m.file as VariantFileName,
      sha256: m.sha256,
      bytes: m.bytes as number,
      parent: { file: p.file, sha256: p.sha256, variant: (p.variant as string | null) ?? null },
      method: m.method,
      parameters: m.parameters,
      dataHash: (m.dataHash as string | null) ?? null,
      metrics: m.metrics,
      created: m.created,
      toolVersion: m.toolVersion,
    },
  };
}
