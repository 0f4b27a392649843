// Compare and Evaluate in a real VS Code (code-server with the packaged VSIX, headless Chromium). Before the editor
// starts, the command line makes two variants of the demo model in the workspace's data folder: a pruned model
// (`model-lab prune --data`) and a LoRA adapter (`model-lab train --data`). Then Compare runs the demo model, the
// pruned variant and demo + adapter side by side (outputs stream, stats per column), shows the per-token log-prob
// difference between the pruned variant and its parent, and a blind vote lands in .model-lab/preferences.jsonl;
// Evaluate measures perplexity (the number `model-lab ppl` prints), writes .model-lab/evals/<id>/, lists the run
// and opens its report. Every wait is on state (an element, a file), never on a fixed time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { prepareE2e, repoRoot } from '../../scripts/e2e/setup.mjs';
import { startSession } from '../../scripts/e2e/session.mjs';
import * as wb from '../../scripts/e2e/workbench.mjs';

const SHOTS = path.join(repoRoot, 'test-results', 'e2e-compare-evaluate');
const DEMO = path.join(repoRoot, 'media', 'models', 'demo.gguf');
const CLI = path.join(repoRoot, 'dist', 'cli.js');
const CODE = 'export function add(a: number, b: number): number {\n  return a + b;\n}\n';
/**
 * What the columns complete: the start of a member, as in the demo's declaration files. Measured greedy: the demo and
 * its 50 % magnitude-pruned variant both write 8 tokens here; after 'function add(a, b) {' (or 'interface Point {')
 * the phi3 demo, or its pruned variant, ends the text at once (EOS first) and a column would stay empty.
 */
const PROMPT = 'interface Point {\n    ';
const run = promisify(execFile);

let session: Awaited<ReturnType<typeof startSession>>;
let scratch: string;
let prunedId: string;
let adapterId: string;

async function cli(...args: string[]): Promise<any> {
  const { stdout } = await run(process.execPath, [CLI, ...args, '--json'], { cwd: scratch, maxBuffer: 64 << 20, timeout: 600_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

/** Every file under `dir`, as session files under `prefix` (the workspace does not exist before the session). */
function filesUnder(dir: string, prefix: string): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) Object.assign(out, filesUnder(p, `${prefix}/${e.name}`));
    else out[`${prefix}/${e.name}`] = readFileSync(p);
  }
  return out;
}

before(async () => {
  const { tools, vsix } = await prepareE2e();
  mkdirSync(SHOTS, { recursive: true });
  scratch = mkdtempSync(path.join(os.tmpdir(), 'ml-e2e-variants-'));
  const data = path.join(scratch, '.model-lab');
  const pairs = path.join(scratch, 'pairs.jsonl');
  writeFileSync(pairs, [
    { prompt: 'function add(a, b) {', chosen: ' return a + b; }', rejected: ' return a - b; }' },
    { prompt: 'const greeting =', chosen: ' "hello";', rejected: ' 42 banana;' },
  ].map((x) => JSON.stringify(x)).join('\n') + '\n');
  const pruned = await cli('prune', DEMO, '--method', 'magnitude', '--sparsity', '0.5', '--data', data, '--threads', '1');
  const adapter = await cli('train', DEMO, '--pairs', pairs, '--steps', '2', '--data', data, '--threads', '1');
  const variants = readdirSync(path.join(data, 'variants'));
  prunedId = variants.find((v) => existsSync(path.join(data, 'variants', v, 'model.gguf')))!;
  adapterId = variants.find((v) => existsSync(path.join(data, 'variants', v, 'adapter.gguf')))!;
  assert.ok(prunedId && adapterId, `variants made: ${JSON.stringify({ variants, pruned, adapter })}`);
  session = await startSession({
    tools,
    vsix,
    // one llama.cpp thread: more threads spin and starve each other on a 2-core machine
    settings: { 'modelLab.threads': 1 },
    files: { 'src/add.ts': CODE, ...filesUnder(path.join(data, 'variants'), '.model-lab/variants') },
  });
  await session.waitForActivation('model-lab.model-lab', 120_000);
});

after(async () => {
  if (session) await wb.screenshot(session.page, SHOTS, 'last').catch(() => {});
  await session?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

test('Compare: demo, its pruned variant and demo + adapter answer side by side; the log-prob difference shows; a blind vote is stored', async () => {
  const { page } = session;
  const adapterPath = path.join(session.workspace, '.model-lab', 'variants', adapterId, 'adapter.gguf');
  await wb.runCommand(page, 'Model Lab: Compare Models');
  const frame = await wb.webviewFrame(page, '#columns', { timeoutMs: 60_000 });
  await frame.locator('[data-testid="column-source-1"] option', { hasText: `${prunedId} (variant)` }).waitFor({ state: 'attached', timeout: 30_000 });
  await frame.locator('[data-testid="column-source-0"]').selectOption('demo');
  await frame.locator('[data-testid="column-source-1"]').selectOption({ label: `${prunedId} (variant)` });
  await frame.locator('[data-testid="add-column"]').click();
  await frame.locator('[data-testid="column-source-2"]').selectOption('demo');
  await frame.locator('[data-testid="column-adapter-2"]').fill(adapterPath);
  await frame.locator('[data-testid="temperature"]').fill('0');
  await frame.locator('[data-testid="max-tokens"]').fill('8');
  await frame.locator('[data-testid="prompt"]').fill(PROMPT);

  // page functions see the page through `globalThis` (this file is type-checked without the DOM library); they are
  // functions, not strings: the webview's CSP forbids evaluating strings
  const allStats = () => frame.waitForFunction(() => {
    const d = (globalThis as any).document;
    return [0, 1, 2].every((i) => (d.querySelector(`[data-testid="stats-${i}"]`)?.textContent ?? '').includes('tokens'))
      && !d.querySelector('[data-testid="run"]')?.hasAttribute('disabled');
  }, undefined, { timeout: 300_000, polling: 250 });
  // streaming: text shows in a column before that column's stats (its end) do; a mutation observer sees every step
  // (no named functions inside: the test runner's transform would wrap them in a helper the page does not have)
  await frame.evaluate(() => {
    const g = globalThis as any;
    g.streamed = false;
    new g.MutationObserver(() => {
      const out = g.document.querySelector('[data-testid="output-0"]')?.textContent ?? '';
      const stats = g.document.querySelector('[data-testid="stats-0"]')?.textContent ?? '';
      if (out !== '' && stats === '') g.streamed = true;
    }).observe(g.document.body, { subtree: true, childList: true, characterData: true });
  });
  await frame.locator('[data-testid="run"]').click();
  await allStats();
  assert.equal(await frame.evaluate(() => (globalThis as any).streamed), true, 'the first column streamed');
  assert.equal(await frame.locator('[data-testid="error"]').isVisible(), false, await frame.locator('[data-testid="error"]').textContent() ?? '');
  const titles = await frame.locator('h2.title').allTextContents();
  assert.deepEqual(titles.map((t: string) => t.includes(prunedId) || t.includes(adapterId) || /demo/i.test(t)), [true, true, true], JSON.stringify(titles));
  assert.ok(titles[2]!.includes('adapter.gguf × 1'), titles[2]);
  for (const i of [0, 1, 2]) {
    const stats = (await frame.locator(`[data-testid="stats-${i}"]`).textContent()) ?? '';
    assert.match(stats, /[1-9]\d* tokens/, `column ${i}: ${stats}`);
    assert.match(stats, /file /, `column ${i} shows its file size: ${stats}`);
    assert.notEqual((await frame.locator(`[data-testid="output-${i}"]`).textContent())?.length ?? 0, 0, `column ${i} answered`);
  }
  await wb.screenshot(page, SHOTS, 'compare-columns');

  // the pruned variant's answer, scored by the pruned model and by its parent: the per-token difference
  await frame.locator('[data-testid="heat-column"]').selectOption('1');
  await frame.locator('[data-testid="heat-against"]').selectOption('0');
  await frame.locator('[data-testid="heatmap-button"]').click();
  await frame.locator('[data-testid="heat-token-0"]').waitFor({ timeout: 120_000 });
  const tokens = await frame.locator('#heatmap .tok').count();
  assert.ok(tokens > 0);
  const titlesHeat: string[] = await frame.locator('#heatmap .tok').evaluateAll((els: any[]) => els.map((e) => e.getAttribute('title') ?? ''));
  assert.ok(titlesHeat.some((t: string) => t.startsWith('Δ log p')), JSON.stringify(titlesHeat.slice(0, 4)));
  await wb.screenshot(page, SHOTS, 'compare-heatmap');

  // blind A/B: names hidden, a vote by position goes into the preference store
  await frame.locator('[data-testid="column-remove-2"]').click();
  await frame.locator('[data-testid="blind"]').check();
  await frame.locator('[data-testid="run"]').click();
  await frame.locator('[data-testid="vote-0"]').waitFor({ timeout: 300_000 });
  assert.deepEqual(await frame.locator('h2.title').allTextContents(), ['Response A', 'Response B']);
  await frame.locator('[data-testid="vote-0"]').click();
  await frame.locator('[data-testid="vote-status"]').waitFor({ timeout: 30_000 });
  const store = path.join(session.workspace, '.model-lab', 'preferences.jsonl');
  const records = readFileSync(store, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(records.length, 1);
  assert.equal(records[0].kind, 'comparison');
  assert.equal(records[0].blind, true);
  assert.equal(records[0].origin, 'compare');
  assert.equal(records[0].prompt.text, PROMPT);
  const winner = records[0].candidates.find((c: any) => c.id === records[0].ranking[0][0]);
  assert.equal(winner.shownAt, 0, 'the answer shown first won');
  await wb.screenshot(page, SHOTS, 'compare-voted');
});

test('Evaluate: perplexity of a workspace file equals `model-lab ppl`, the run folder and its listing, and the report opens', async () => {
  const { page } = session;
  const file = path.join(session.workspace, 'src', 'add.ts');
  await wb.runCommand(page, 'Model Lab: Evaluate');
  const frame = await wb.webviewFrame(page, '[data-testid="history"]', { timeoutMs: 60_000 });
  await frame.locator('body[data-ready="true"]').waitFor({ timeout: 30_000 });
  await frame.locator('[data-testid="model"]').selectOption('demo');
  await frame.locator('[data-testid="kind"]').selectOption('perplexity');
  await frame.locator('[data-testid="ppl-source"]').selectOption('glob');
  await frame.locator('[data-testid="ppl-pattern"]').fill('src/add.ts');
  await frame.locator('[data-testid="run"]').click();
  await frame.locator('[data-testid="result"]').waitFor({ state: 'visible', timeout: 300_000 });
  assert.equal(await frame.locator('[data-testid="error"]').isVisible(), false);
  const headline = (await frame.locator('[data-testid="result-headline"]').textContent()) ?? '';
  assert.match(headline, /^perplexity \d+\.\d{3} over \d+ tokens \(1 file\)$/);

  const evals = path.join(session.workspace, '.model-lab', 'evals');
  const ids = readdirSync(evals);
  assert.equal(ids.length, 1);
  const dir = path.join(evals, ids[0]!);
  for (const f of ['result.json', 'results.csv', 'report.html']) assert.ok(existsSync(path.join(dir, f)), f);
  const report = JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8'));
  const ppl = await cli('ppl', DEMO, '--file', file, '--threads', '1');
  assert.equal(report.result.ppl, ppl.ppl, 'the panel measures what `model-lab ppl` prints');
  assert.equal(report.result.tokens, ppl.tokens);

  // the run is listed under the demo model and reopens its report
  await frame.locator(`tr[data-id="${ids[0]}"]`).waitFor({ timeout: 30_000 });
  await wb.screenshot(page, SHOTS, 'evaluate-result');
  await frame.locator('[data-testid="open-report"]').click();
  const reportFrame = await wb.webviewFrame(page, 'p.meta', { timeoutMs: 60_000 });
  assert.equal(await reportFrame.locator('h1').textContent(), 'Perplexity');
  assert.match((await reportFrame.locator('p.big').textContent()) ?? '', new RegExp(`Perplexity ${report.result.ppl.toFixed(3)}`));
  assert.ok(await reportFrame.locator('svg[role="img"]').count() > 0, 'the chart is there');
  await wb.screenshot(page, SHOTS, 'evaluate-report');
});
