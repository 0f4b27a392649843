// The data folder (`.model-lab/` by default) as host, CLI and job process all see it. No vscode here.
//
// Layout (workspacePaths):
//   variants/<id>/   model.gguf or adapter.gguf + manifest.json (VariantManifest)
//   runs/<id>/       a training or pruning run (createRunFolder)
//   evals/<id>/      an evaluation (createEvalFolder)
//   preferences.jsonl  the preference store
//   cache/           file hashes; safe to delete
//
// Making a variant (prune, train, merge — in a job or the CLI):
//   const v = await createVariant(data, { kind: 'pruned', method: 'prune-ffn', parent: { file: base }, parameters });
//   … write the GGUF to v.file (honour the job's AbortSignal) …
//   await v.commit({ metrics });        // validates the GGUF, hashes it, writes manifest.json atomically
//   await v.abandon();                  // instead, when the job is cancelled
// Until commit the folder holds only pending.json: listVariants reports it as pending, never as a variant, so a
// crashed job leaves no half variant. A resumed job calls openPendingVariant(data, id) and writes again.
// The parent is recorded as { file, sha256, variant }: a parent inside variants/ is linked by id, a base model by
// its path and SHA-256 (sha256File streams the file once and caches the hash by size + mtime under cache/).
//
// Reading: listVariants(data) → { variants, pending, problems } (a bad manifest is a problem line, never a throw);
// variantChildren(list, { variant } | { file }) and variantLineage(list, id) (chain up to the base model).
// watchVariants(data, onChange) tells a long-lived reader (the Models view) when to list again.
// Writing any other file a user keeps: writeFileAtomic / writeJsonAtomic (temp file + fsync + rename).
// The preference store is ./preferences (its own index.ts), at workspacePaths(data).preferences.
export { DEFAULT_DATA_DIRECTORY, workspacePaths, type WorkspacePaths } from './workspacePaths.js';
export { writeFileAtomic, writeJsonAtomic, isTempFile } from './writeFileAtomic.js';
export { decodeUtf8Text, readUtf8File } from './readUtf8File.js';
export { newVariantId } from './newVariantId.js';
export { createRunFolder, createEvalFolder } from './reserveFolder.js';
export { sha256File, type Sha256Options } from './sha256File.js';
export {
  parseVariantManifest,
  variantFileName,
  VARIANT_KINDS,
  type VariantKind,
  type VariantManifest,
  type VariantParent,
} from './VariantManifest.js';
export { createVariant, openPendingVariant, type NewVariant, type PendingVariant } from './createVariant.js';
export { listVariants, readVariant, type Variant, type VariantListing, type VariantProblem } from './listVariants.js';
export { variantChildren, variantLineage, type VariantLineage } from './lineage.js';
export { watchVariants, type WatchVariantsOptions } from './watchVariants.js';
export { WorkspaceError } from './WorkspaceError.js';
export { TOOL_VERSION } from './toolVersion.js';
