#!/usr/bin/env node
// Set-up of the e2e lane (scripts/test.mjs runs it before tests/e2e/**): installs the tools (Debian packages,
// Node 24, code-server — minutes the first time, under a second after), builds, and packages the VSIX that the
// tests install. The tests call prepareE2e() again; with everything in place that is a quick rebuild and reuse.
import path from 'node:path';
import { ensureDependencies } from '../lib/ensure.mjs';
import { ensureTools } from '../lib/tools.mjs';
import { packageVsix, currentTarget, localVsixPath } from '../lib/packageVsix.mjs';
import { log, ScriptError } from '../lib/log.mjs';
import { exitOnSignals } from '../lib/processes.mjs';

export const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

/**
 * Tools plus a freshly packaged CPU-only VSIX (the e2e machines have no GPU; the GPU builds only add size).
 * Returns { tools, vsix, root }.
 */
export async function prepareE2e(root = repoRoot) {
  ensureDependencies(root);
  const tools = await ensureTools(root);
  const { vsix } = await packageVsix(root, { gpu: [], reuse: true, out: localVsixPath(root, currentTarget(), []) });
  return { tools, vsix, root };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const t = Date.now();
  exitOnSignals();
  try {
    await prepareE2e();
    log(`e2e set-up done in ${((Date.now() - t) / 1000).toFixed(1)}s`);
  } catch (err) {
    console.error(err instanceof ScriptError ? `e2e set-up: ${err.message}` : err);
    process.exit(1);
  }
}
