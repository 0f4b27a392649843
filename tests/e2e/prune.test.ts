// Prune in a real VS Code (code-server with the packaged VSIX, headless Chromium). Prune Model opens the panel on the
// demo model; the header's prediction shows before running; Score model (activation) draws a histogram per layer and a
// similarity heat map; magnitude at 50 % uniform runs as a job the Jobs view shows, its scores' histograms cut in half; the pruned variant appears under the demo model in the Models view; Compare opens from the panel's button on
// the base and the variant. Every wait is on state.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { prepareE2e, repoRoot } from '../../scripts/e2e/setup.mjs';
import { startSession } from '../../scripts/e2e/session.mjs';
import * as wb from '../../scripts/e2e/workbench.mjs';

const SHOTS = path.join(repoRoot, 'test-results', 'e2e-prune');

let session: Awaited<ReturnType<typeof startSession>>;

before(async () => {
  const { tools, vsix } = await prepareE2e();
  mkdirSync(SHOTS, { recursive: true });
  session = await startSession({
    tools,
    vsix,
    settings: { 'modelLab.threads': 1 },
    files: { 'README.md': '# a workspace to prune in\n' },
  });
  await session.waitForActivation('model-lab.model-lab', 120_000);
});

after(async () => {
  if (session) await wb.screenshot(session.page, SHOTS, 'last').catch(() => {});
  await session?.close();
});

test('Prune: magnitude 50 % uniform on the demo model from the panel → the variant under the model, Compare opens on both', async () => {
  const { page } = session;
  await wb.openViewContainer(page, 'Model Lab');
  await wb.runCommand(page, 'Model Lab: Prune Model');
  const frame = await wb.webviewFrame(page, '[data-testid="prediction"]', { timeoutMs: 60_000 });
  await frame.locator('body[data-ready="true"]').waitFor({ timeout: 60_000 });
  await frame.locator('[data-testid="model"]').selectOption('demo');
  await frame.locator('[data-testid="method"]').selectOption('magnitude');
  await frame.locator('[data-testid="allocation"]').selectOption('uniform');
  await frame.locator('[data-testid="sparsity"]').evaluate((e: { value: string; dispatchEvent(ev: Event): boolean }) => {
    e.value = '0.5';
    e.dispatchEvent(new Event('input'));
  });
  await frame.locator('[data-testid="sparsity-value"]', { hasText: '50 %' }).waitFor({ timeout: 10_000 });
  await frame.locator('[data-testid="prediction"] tr[data-row="File size"]').waitFor({ timeout: 60_000 });
  assert.match((await frame.locator('[data-testid="prediction-note"]').textContent()) ?? '', /A prediction from the \w+ header/);
  assert.match((await frame.locator('[data-testid="prediction"] tr[data-row="Generation speed"]').textContent()) ?? '', /~1\.\d\d×/);
  await wb.screenshot(page, SHOTS, 'prune-ready');

  // Score model (activation): the scores alone, a histogram per layer and the similarity heat map of a layer
  await frame.locator('[data-testid="method"]').selectOption('activation');
  await frame.locator('[data-testid="score"]').click();
  await frame.locator('[data-testid="heatmap-svg"][data-neurons="32"]').waitFor({ timeout: 300_000 });
  assert.equal(await frame.locator('[data-testid="histogram"]').count(), 4, 'a histogram per layer of the demo model');
  assert.equal(await frame.locator('[data-testid="histogram"][data-removed="50"]').count(), 4, 'uniform 50 %: each layer\'s cut at its median');
  assert.equal(await frame.locator('[data-testid="heatmap-svg"] rect').count(), 32 * 32);
  await wb.screenshot(page, SHOTS, 'prune-scores');
  await frame.locator('[data-testid="method"]').selectOption('magnitude');

  await frame.locator('[data-testid="prune"]').click();
  await wb.waitForTreeItem(session.page, 'Jobs', (l) => /^Prune .*\(magnitude, 50 %, uniform\)$/.test(l), 60_000);
  await frame.locator('[data-testid="result"]').waitFor({ state: 'visible', timeout: 300_000 });
  const summary = (await frame.locator('[data-testid="summary"]').textContent()) ?? '';
  const variantId = /^Variant (\S+) written/.exec(summary)?.[1];
  assert.ok(variantId, `the summary names the variant: ${summary}`);
  assert.match((await frame.locator('[data-testid="status"]').textContent()) ?? '', /: done/);
  assert.equal(await frame.locator('[data-testid="kept-chart"] rect.kept').count(), 4, 'a bar per layer of the demo model');
  assert.equal(await frame.locator('[data-testid="kept-chart"] rect.kept title', { hasText: 'layer 0: 256 of 512' }).count(), 1, 'uniform 50 % keeps half of each layer');
  await frame.locator('[data-testid="histogram"][data-removed="50"]').nth(3).waitFor({ timeout: 30_000 });
  assert.equal(await frame.locator('[data-testid="heatmap-svg"]').count(), 0, 'magnitude reads no activations: no heat map');
  await wb.screenshot(page, SHOTS, 'prune-done');

  // the model row gains its first child while on screen: the tree shows it collapsed, as a user would see it
  const modelRow = wb.viewPane(page, 'Models').locator('.monaco-list-row[aria-expanded="false"]', { hasText: 'Demo' });
  await modelRow.first().waitFor({ timeout: 60_000 });
  await modelRow.first().locator('.monaco-tl-twistie').click();
  await wb.waitForTreeItem(session.page, 'Models', (l) => l.startsWith(variantId), 60_000);
  const variantDir = path.join(session.workspace, '.model-lab', 'variants', variantId);
  const manifest = JSON.parse(readFileSync(path.join(variantDir, 'manifest.json'), 'utf8'));
  assert.equal(manifest.kind, 'pruned');
  assert.equal(path.basename(manifest.parent.file), 'demo.gguf');

  await frame.locator('[data-testid="compare"]').click();
  const compare = await wb.webviewFrame(page, '#columns', { timeoutMs: 60_000 });
  await compare.locator('[data-testid="column-source-1"]').waitFor({ timeout: 30_000 });
  assert.equal(await compare.locator('[data-testid="column-source-1"]').inputValue(), path.join(variantDir, 'model.gguf'));
  assert.match((await compare.locator('[data-testid="column-source-0"] option:checked').textContent()) ?? '', /demo/i);
  await wb.screenshot(page, SHOTS, 'prune-compare');
});
