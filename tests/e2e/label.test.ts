// Labelling in a real VS Code (code-server with the packaged VSIX, headless Chromium), keyboard only: select a
// line of code, Ctrl+Alt+G (Generate Alternatives) with the demo model (in its chat format), pick the best and the worst candidate and
// type a rationale with keys, Enter saves — then the record is in .model-lab/preferences.jsonl with its provenance,
// and the Preferences view lists it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { prepareE2e, repoRoot } from '../../scripts/e2e/setup.mjs';
import { startSession } from '../../scripts/e2e/session.mjs';
import * as wb from '../../scripts/e2e/workbench.mjs';
import { e2eModel, type E2eModel } from './e2eModel.js';
import { buildAlternativesPrompt } from '../../src/host/label/buildAlternativesPrompt.js';

const SHOTS = path.join(repoRoot, 'test-results', 'e2e-label');
const CODE = 'def add(a, b):\n    return a - b\n\n\ndef main():\n    print(add(1, 2))\n';

let session: Awaited<ReturnType<typeof startSession>>;
let model: E2eModel;

before(async () => {
  const { tools, vsix } = await prepareE2e();
  mkdirSync(SHOTS, { recursive: true });
  model = await e2eModel();
  session = await startSession({
    tools,
    vsix,
    // One llama.cpp thread (2-core machines: more threads spin and starve each other); three short candidates.
    settings: { ...model.settings, 'modelLab.threads': 1, 'modelLab.label.candidates': 3, 'modelLab.label.maxTokens': 16 },
    files: { 'src/calc.py': CODE },
  });
  await session.waitForActivation('model-lab.model-lab', 120_000);
});

after(async () => {
  if (session) await wb.screenshot(session.page, SHOTS, 'last').catch(() => {});
  await session?.close();
  model?.dispose();
});

test('select code, Generate Alternatives, label with the keyboard only, see the record in the store and the Preferences view', async () => {
  const { page } = session;
  await wb.quickOpen(page, 'calc.py');
  const editor = page.locator('.monaco-editor .view-lines').first();
  await editor.waitFor({ timeout: 30_000 });
  await editor.click();
  // Line 2 without its indentation: Home goes to the first non-blank character.
  await page.keyboard.press('Control+Home');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('End');
  await page.keyboard.press('Shift+Home');
  await page.keyboard.press('Control+Alt+G');

  const frame = await wb.webviewFrame(page, '#candidates', { timeoutMs: 60_000 });
  await frame.locator('body[data-ready="true"]').waitFor({ timeout: 30_000 });
  await frame.locator('[data-testid="candidate-3"]').waitFor({ timeout: 30_000 });
  await frame.locator('body[data-generating="false"]').waitFor({ timeout: 240_000 });
  assert.equal(await frame.locator('.candidate').count(), 3);
  assert.equal(await frame.locator('#error').isVisible(), false);
  const texts = await frame.locator('.candidate pre').allTextContents();
  assert.equal(await frame.locator('.candidate.failed').count(), 0, `a candidate failed: ${JSON.stringify(texts)}`);
  await wb.screenshot(page, SHOTS, 'label-candidates');

  // Keyboard only from here; focus moves into the panel the way Ctrl+Alt+G left it, or with one key press there.
  await frame.locator('h1').focus().catch(() => {});
  await frame.locator('body').press('2');
  await frame.locator('body').press('Shift+3');
  await frame.locator('[data-mark="best"]').waitFor({ timeout: 5000 });
  await frame.locator('body').press('r');
  await frame.locator('#rationale').pressSequentially('two reads best');
  await frame.locator('#rationale').press('Escape');
  await frame.locator('body').press('Enter');
  await frame.locator('body[data-saved="1"]').waitFor({ timeout: 15_000 });
  await frame.locator('#empty').waitFor({ state: 'visible', timeout: 5000 });
  await wb.screenshot(page, SHOTS, 'label-saved');

  const file = path.join(session.workspace, '.model-lab', 'preferences.jsonl');
  assert.ok(existsSync(file), 'the store file exists');
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 1);
  const r = lines[0];
  assert.equal(r.kind, 'comparison');
  assert.deepEqual(r.ranking, [['c2'], ['c3']]);
  assert.equal(r.rationale, 'two reads best');
  assert.equal(r.origin, 'editor');
  assert.equal(r.context.language, 'python');
  assert.ok(r.context.file.endsWith(path.join('src', 'calc.py')), r.context.file);
  assert.deepEqual(r.context.range, { start: { line: 1, character: 4 }, end: { line: 1, character: 16 } });
  assert.equal(r.candidates.length, 3);
  assert.equal(new Set(r.candidates.map((c: { seed: number }) => c.seed)).size, 3, 'distinct seeds');
  // The demo model has a chat template: one user turn from the instruction around the selection (a model without
  // one gets a raw completion of the code before the selection).
  const selection = 'return a - b';
  const input = { selection, before: 'def add(a, b):\n    ', after: CODE.slice(CODE.indexOf(selection) + selection.length), language: 'python', file: r.context.file };
  assert.deepEqual(r.prompt, buildAlternativesPrompt(input, { chat: model.builtIn }).promptData);
  if (!model.builtIn) assert.deepEqual(r.prompt, { text: 'def add(a, b):\n    ' });
  assert.deepEqual(r.candidates.map((c: { text: string }) => c.text), texts);

  await wb.openViewContainer(page, 'Model Lab');
  const pane = wb.viewPane(page, 'Preferences');
  await pane.waitFor({ timeout: 30_000 });
  const header = pane.locator('.pane-header');
  if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
  const deadline = Date.now() + 30_000;
  let rows: string[] = [];
  while (Date.now() < deadline) {
    rows = await wb.treeItems(page, 'Preferences');
    if (rows.some((x) => /^1 records · \d+ pairs/.test(x))) break;
    await page.waitForTimeout(500);
  }
  await wb.screenshot(page, SHOTS, 'preferences-view');
  assert.ok(rows.some((x) => /^1 records · \d+ pairs/.test(x)), `Preferences view rows: ${JSON.stringify(rows)}`);
  assert.equal(rows.length, 2, `a stats row and the record: ${JSON.stringify(rows)}`);
});
