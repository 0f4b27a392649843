// Writes a registered variant folder (manifest.json as src/workspace commits it, and a stand-in GGUF) for host tests
// that only need the Models view to list it. src/workspace's own tests cover making variants for real.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { TOOL_VERSION, variantFileName, type VariantKind, type VariantManifest } from '../../../src/workspace/index.js';

export function writeVariantFixture(
  dataDir: string,
  id: string,
  opts: { kind: VariantKind; parentFile: string; parentVariant?: string; method?: string; metrics?: Record<string, unknown> },
): string {
  const dir = path.join(dataDir, 'variants', id);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, variantFileName(opts.kind));
  fs.writeFileSync(file, 'GGUF');
  const sha = (p: string) => (fs.existsSync(p) ? createHash('sha256').update(fs.readFileSync(p)).digest('hex') : '0'.repeat(64));
  const manifest: VariantManifest = {
    schema: 1,
    id,
    kind: opts.kind,
    file: variantFileName(opts.kind),
    sha256: sha(file),
    bytes: 4,
    parent: { file: opts.parentFile, sha256: sha(opts.parentFile), variant: opts.parentVariant ?? null },
    method: opts.method ?? (opts.kind === 'adapter' ? 'dpo' : 'prune-ffn'),
    parameters: {},
    dataHash: null,
    metrics: opts.metrics ?? {},
    created: '2026-12-01T09:00:00.000Z',
    toolVersion: TOOL_VERSION,
  };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  return file;
}
