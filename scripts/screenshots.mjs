#!/usr/bin/env node
// `npm run screenshots`: regenerates the pictures in docs/ that the README shows, from the packaged extension
// running in code-server (the same set-up as the e2e tests):
//   docs/models-view.png   the Models view
//   docs/inspect.png       the Inspect panel on the demo model
//   docs/playground.png    the Playground after a short generation
//   --out DIR   write them elsewhere          --theme NAME   colour theme (default "Default Dark Modern")
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prepareE2e, repoRoot } from './e2e/setup.mjs';
import { startSession } from './e2e/session.mjs';
import * as wb from './e2e/workbench.mjs';
import { generateInPlayground } from './e2e/playground.mjs';
import { demoModelPath, writeStandInModel } from './lib/demoWorkspace.mjs';
import { exitOnSignals } from './lib/processes.mjs';
import { log, ScriptError } from './lib/log.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const outDir = path.resolve(opt('--out', path.join(repoRoot, 'docs')));
const theme = opt('--theme', 'Default Dark Modern');

async function main() {
  exitOnSignals();
  const t = Date.now();
  const { tools, vsix } = await prepareE2e();
  // The built-in demo model when it is there; otherwise a generated stand-in, registered by setting.
  // One llama.cpp thread keeps generation quick on a busy 2-core machine (see tests/e2e/modelLab.test.ts).
  const settings = { 'workbench.colorTheme': theme, 'modelLab.threads': 1 };
  let modelName = 'Demo';
  let tmp;
  if (!existsSync(demoModelPath(repoRoot))) {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'ml-shots-'));
    const file = await writeStandInModel(repoRoot, tmp, { name: 'tiny-llama.gguf' });
    if (!file) throw new ScriptError('no demo model and no model writer (src/engine/synth) to make a stand-in');
    settings['modelLab.modelsDirectory'] = tmp;
    modelName = 'tiny-llama';
  }
  const session = await startSession({
    tools, vsix, settings,
    files: { 'src/sample.ts': 'export function add(a: number, b: number): number {\n  return a + b;\n}\n' },
  });
  try {
    const { page } = session;
    await page.setViewportSize({ width: 1280, height: 800 });
    await session.waitForActivation();

    await wb.openViewContainer(page, 'Model Lab');
    await waitFor(async () => (await wb.treeItems(page, 'Models')).some((i) => i.includes(modelName)), 'the model in the Models view');
    await wb.screenshot(page, outDir, 'models-view');

    await wb.runCommand(page, 'Model Lab: Inspect Model');
    await wb.pickQuickItem(page, modelName);
    const inspect = await wb.webviewFrame(page, '#model-card', { timeoutMs: 60_000 });
    await inspect.locator('#tensor-table tr').nth(1).waitFor({ timeout: 30_000 });
    await wb.screenshot(page, outDir, 'inspect');
    await wb.closeAllEditors(page);

    await wb.runCommand(page, 'Model Lab: Open Playground');
    const pg = await wb.webviewFrame(page, '#prompt', { timeoutMs: 60_000 });
    // the demo model may end a text at once (the Playground then says why: end-of-sequence token); the picture
    // wants some text, so a few seeds are tried
    let r;
    for (let seed = 1; seed <= 5; seed++) {
      r = await generateInPlayground(pg, { modelName, prompt: 'function fibonacci(n) {', maxTokens: 32, seed, timeoutMs: 240_000 });
      if (r.error || r.tokens > 0) break;
      log(`seed ${seed}: ${r.tokens} tokens (${r.stopReason}); trying another seed`);
    }
    if (r.error || r.tokens === 0) throw new ScriptError(`the Playground did not generate: ${r.error || `no tokens (${r.stopReason})`}`);
    await wb.screenshot(page, outDir, 'playground');
    log(`Screenshots in ${path.relative(process.cwd(), outDir) || outDir} (${((Date.now() - t) / 1000).toFixed(0)}s)`);
  } finally {
    await session.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

async function waitFor(check, what, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new ScriptError(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

main().catch((err) => {
  console.error(err instanceof ScriptError ? `screenshots: ${err.message}` : err);
  process.exit(1);
});
