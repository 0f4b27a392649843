// Tune in a real VS Code (code-server with the packaged VSIX, headless Chromium). Before the editor starts, labelled
// pairs go into the workspace's preference store with the store API (22 synthetic pairs on the demo model's kind of
// text: 20 to train on, 2 held out). Then Tune on Preferences opens the panel, the quick preset with DPO trains on the
// demo model as a job the Jobs view shows, the adapter appears under the model in the Models view, held-out accuracy
// before/after shows, and Compare opens on the model with and without the adapter. Every wait is on state.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prepareE2e, repoRoot } from '../../scripts/e2e/setup.mjs';
import { startSession } from '../../scripts/e2e/session.mjs';
import * as wb from '../../scripts/e2e/workbench.mjs';
import { importTrl, PreferenceStore } from '../../src/workspace/preferences/index.js';
import { syntheticPairs } from '../integration/tune/syntheticPairs.js';

const SHOTS = path.join(repoRoot, 'test-results', 'e2e-tune');

let session: Awaited<ReturnType<typeof startSession>>;
let scratch: string;

before(async () => {
  const { tools, vsix } = await prepareE2e();
  mkdirSync(SHOTS, { recursive: true });
  scratch = mkdtempSync(path.join(os.tmpdir(), 'ml-e2e-tune-'));
  const data = path.join(scratch, '.model-lab');
  mkdirSync(data);
  const pairs = path.join(scratch, 'pairs.jsonl');
  writeFileSync(pairs, syntheticPairs(repoRoot, 22, 7, { promptChars: 40 }).map((p) => JSON.stringify(p)).join('\n') + '\n');
  assert.equal((await importTrl(await PreferenceStore.openInDataDir(data), pairs)).imported, 22);
  session = await startSession({
    tools,
    vsix,
    settings: { 'modelLab.threads': 1 },
    files: { '.model-lab/preferences.jsonl': readFileSync(path.join(data, 'preferences.jsonl')) },
  });
  await session.waitForActivation('model-lab.model-lab', 120_000);
});

after(async () => {
  if (session) await wb.screenshot(session.page, SHOTS, 'last').catch(() => {});
  await session?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test('Tune: store pairs → quick DPO from the panel → the adapter under the model, accuracy before/after, Compare opens', async () => {
  const { page } = session;
  await wb.openViewContainer(page, 'Model Lab');
  await wb.runCommand(page, 'Model Lab: Tune on Preferences');
  const frame = await wb.webviewFrame(page, '[data-testid="estimates"]', { timeoutMs: 60_000 });
  await frame.locator('body[data-ready="true"]').waitFor({ timeout: 60_000 });
  await frame.locator('[data-testid="model"]').selectOption('demo');
  await frame.locator('[data-testid="pairs-source"]').selectOption('store');
  await frame.locator('[data-testid="dataset"]', { hasText: '22 pairs' }).waitFor({ timeout: 60_000 });
  assert.match((await frame.locator('[data-testid="dataset"]').textContent()) ?? '', /22 pairs — 20 to train on, 2 held out/);
  await frame.locator('[data-testid="preset"]').selectOption('quick');
  await frame.locator('[data-testid="method"]').selectOption('dpo');
  const quick = (await frame.locator('tr[data-preset="quick"]').textContent()) ?? '';
  assert.match(quick, /~\d+(m \d+)?s/, `the quick preset's estimate: ${quick}`);
  await wb.screenshot(page, SHOTS, 'tune-ready');

  await frame.locator('[data-testid="start"]').click();
  await wb.waitForTreeItem(session.page, 'Jobs', (l) => /^Tune .*\(DPO, quick\)$/.test(l), 60_000);
  await frame.locator('[data-testid="result"]').waitFor({ state: 'visible', timeout: 600_000 });
  await frame.locator('[data-testid="accuracy"]', { hasText: 'with it' }).waitFor({ timeout: 300_000 });
  assert.match((await frame.locator('[data-testid="accuracy"]').textContent()) ?? '', /Held-out preference accuracy \(llama\.cpp, 2 pairs\): \d+% without the adapter → \d+% with it/);
  assert.ok(await frame.locator('[data-testid="chart-loss"] svg polyline').count() === 1, 'the loss chart is drawn');
  await wb.screenshot(page, SHOTS, 'tune-done');

  // the model row gains its first child while on screen: the tree shows it collapsed, as a user would see it
  const modelRow = wb.viewPane(page, 'Models').locator('.monaco-list-row[aria-expanded="false"]', { hasText: 'Demo' });
  await modelRow.first().waitFor({ timeout: 60_000 });
  await modelRow.first().locator('.monaco-tl-twistie').click();
  const adapterRow = await wb.waitForTreeItem(session.page, 'Models', (l) => l.startsWith('dpo-'), 60_000);
  const variants = path.join(session.workspace, '.model-lab', 'variants');
  const manifest = JSON.parse(readFileSync(path.join(variants, adapterRow, 'manifest.json'), 'utf8'));
  assert.equal(manifest.kind, 'adapter');
  assert.equal(path.basename(manifest.parent.file), 'demo.gguf');

  await frame.locator('[data-testid="compare"]').click();
  const compare = await wb.webviewFrame(page, '#columns', { timeoutMs: 60_000 });
  await compare.locator('[data-testid="column-adapter-1"]').waitFor({ timeout: 30_000 });
  assert.equal(await compare.locator('[data-testid="column-adapter-1"]').inputValue(), path.join(variants, adapterRow, 'adapter.gguf'));
  await wb.screenshot(page, SHOTS, 'tune-compare');
});
