// Model Lab inside a real VS Code: code-server with the PACKAGED VSIX installed into a fresh profile, driven
// through headless Chromium like a person would. One VS Code session serves every test in this file (start-up
// costs about ten seconds); the tests run in order and each leaves the workbench usable for the next.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { prepareE2e, repoRoot } from '../../scripts/e2e/setup.mjs';
import { startSession } from '../../scripts/e2e/session.mjs';
import * as wb from '../../scripts/e2e/workbench.mjs';
import { e2eModel } from './e2eModel.js';

const SHOTS = path.join(repoRoot, 'test-results', 'e2e');
const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
const commands: Array<{ command: string; title: string; category: string }> = manifest.contributes.commands;

let session: Awaited<ReturnType<typeof startSession>>;
let model: { name: string; settings: Record<string, unknown> };
const started = Date.now();

before(async () => {
  const t = Date.now();
  const { tools, vsix } = await prepareE2e();
  mkdirSync(SHOTS, { recursive: true });
  model = await e2eModel();
  session = await startSession({ tools, vsix, settings: model.settings, files: { 'README.md': '# e2e workspace\n', 'src/sample.ts': 'export const answer = 42;\n' } });
  console.log(`# e2e set-up (build, package, install VSIX, code-server, Chromium): ${((Date.now() - t) / 1000).toFixed(1)}s`);
});

after(async () => {
  if (session) await wb.screenshot(session.page, SHOTS, 'last').catch(() => {});
  await session?.close();
  console.log(`# e2e lane total: ${((Date.now() - started) / 1000).toFixed(1)}s`);
});

/** Error toasts plus activation failures written to the extension host's log. */
async function problems(): Promise<string[]> {
  const toasts = (await wb.notifications(session.page)).filter((n) => n.severity === 'error').map((n) => `toast: ${n.message}`);
  const logLines = session.extensionHostLog().split('\n')
    .filter((l) => /model-lab/i.test(l) && /\[error\]|failed|Error:/i.test(l))
    .map((l) => `exthost log: ${l}`);
  return [...toasts, ...logLines];
}

test('the packaged extension activates in VS Code without errors', async () => {
  const { page } = session;
  // onStartupFinished: wait for the extension host to report that it activated Model Lab.
  const deadline = Date.now() + 60_000;
  while (!/_doActivateExtension model-lab\.model-lab\b/.test(session.extensionHostLog()) && Date.now() < deadline) {
    await page.waitForTimeout(500);
  }
  assert.match(session.extensionHostLog(), /_doActivateExtension model-lab\.model-lab\b/, 'Model Lab was never activated');
  await page.waitForTimeout(2000); // let activation finish and any failure surface
  assert.deepEqual(await problems(), []);
  // It is the installed VSIX that runs, not a development folder.
  const installed = path.join(session.profile.extensionsDir);
  assert.ok(existsSync(installed) && readFileSync(path.join(installed, 'extensions.json'), 'utf8').includes('model-lab.model-lab'),
    'the VSIX is not in the profile extensions folder');
  await wb.screenshot(page, SHOTS, 'activated');
});

test('the Models view lists the model', async () => {
  const { page } = session;
  await wb.openViewContainer(page, 'Model Lab');
  let items: string[] = [];
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    items = await wb.treeItems(page, 'Models');
    if (items.some((i) => i.includes(model.name))) break;
    await page.waitForTimeout(500);
  }
  await wb.screenshot(page, SHOTS, 'models-view');
  assert.ok(items.some((i) => i.includes(model.name)), `Models view rows ${JSON.stringify(items)} do not include ${model.name}`);
});

test('the command palette lists every Model Lab command of the manifest', async () => {
  const listed = await wb.paletteMatches(session.page, 'Model Lab:');
  const missing = commands.map((c) => `${c.category}: ${c.title}`).filter((t) => !listed.includes(t));
  assert.deepEqual(missing, [], `palette rows: ${JSON.stringify(listed)}`);
});
