// Jobs in a real VS Code (code-server with the packaged VSIX, driven through headless Chromium): a training job
// started from the command palette shows its progress in the Jobs view and the status bar, and Cancel Job stops
// it — the row says cancelled and the job's record on disk agrees.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { prepareE2e, repoRoot } from '../../scripts/e2e/setup.mjs';
import { startSession } from '../../scripts/e2e/session.mjs';
import * as wb from '../../scripts/e2e/workbench.mjs';

const SHOTS = path.join(repoRoot, 'test-results', 'e2e-jobs');
const TRAIN = 'Model Lab: Train Demo-Sized Model on Workspace Files (quick)';

let session: Awaited<ReturnType<typeof startSession>>;

/** Some TypeScript for the job to learn from: this repository's optimizer and training sources (about 90 KB). */
function workspaceFiles(): Record<string, string> {
  const files: Record<string, string> = { 'README.md': '# jobs e2e workspace\n' };
  for (const dir of ['src/engine/optim', 'src/engine/train']) {
    for (const f of readdirSync(path.join(repoRoot, dir)).filter((n) => n.endsWith('.ts'))) files[`${dir}/${f}`] = readFileSync(path.join(repoRoot, dir, f), 'utf8');
  }
  return files;
}

before(async () => {
  const { tools, vsix } = await prepareE2e();
  mkdirSync(SHOTS, { recursive: true });
  session = await startSession({ tools, vsix, files: workspaceFiles() });
  await session.waitForActivation('model-lab.model-lab', 120_000);
});

after(async () => {
  if (session) await wb.screenshot(session.page, SHOTS, 'last').catch(() => {});
  await session?.close();
});

/** The Jobs view's rows: label and description (the progress text). */
async function jobRows(): Promise<Array<{ label: string; description: string }>> {
  const pane = wb.viewPane(session.page, 'Jobs');
  await pane.waitFor({ timeout: 30_000 });
  // the second view of a container may start collapsed
  const header = pane.locator('.pane-header');
  if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
  return pane.locator('.monaco-list-row').evaluateAll((rows: any[]) => rows.map((r: any) => ({
    label: (r.querySelector('.label-name')?.textContent ?? '').trim(),
    description: (r.querySelector('.label-description')?.textContent ?? '').trim(),
  })));
}

async function waitForRow(pred: (d: string) => boolean, what: string, timeoutMs: number): Promise<{ label: string; description: string }> {
  const until = Date.now() + timeoutMs;
  let rows: Array<{ label: string; description: string }> = [];
  while (Date.now() < until) {
    rows = await jobRows();
    const hit = rows.find((r) => /Train demo-sized model/.test(r.label) && pred(r.description));
    if (hit) return hit;
    await session.page.waitForTimeout(500);
  }
  await wb.screenshot(session.page, SHOTS, `timeout-${what.replace(/\W+/g, '-')}`);
  throw new Error(`Jobs view never showed ${what}; rows: ${JSON.stringify(rows)}`);
}

test('a job started from the palette shows progress in the Jobs view and the status bar, and cancels', async () => {
  const { page } = session;
  await wb.openViewContainer(page, 'Model Lab');
  assert.deepEqual((await jobRows()).filter((r) => r.label), [], 'no jobs before the first one');

  const t0 = Date.now();
  await wb.runCommand(page, TRAIN);
  // tokenizing the workspace, then the first training steps of the demo-sized model
  const running = await waitForRow((d) => /^training \d+% · step \d+\/30 · \d+ tok\/s · ETA /.test(d), 'training progress', 300_000);
  console.log(`# first progress after ${((Date.now() - t0) / 1000).toFixed(1)}s: ${running.description}`);
  await wb.screenshot(page, SHOTS, 'jobs-view-progress');
  const status = await page.locator('.part.statusbar').innerText();
  assert.match(status, /Train demo-sized model \(quick\) · training \d+%/, `status bar: ${status}`);

  const runs = path.join(session.workspace, '.model-lab', 'runs');
  const [id] = readdirSync(runs);
  const record = () => JSON.parse(readFileSync(path.join(runs, id!, 'job.json'), 'utf8'));
  assert.equal(record().state, 'running');

  const t1 = Date.now();
  await wb.runCommand(page, 'Model Lab: Cancel Job');
  await waitForRow((d) => d === 'cancelled', 'the cancelled job', 120_000);
  console.log(`# cancelled ${((Date.now() - t1) / 1000).toFixed(1)}s after Cancel Job`);
  await wb.screenshot(page, SHOTS, 'jobs-view-cancelled');
  const until = Date.now() + 10_000;
  while (record().state !== 'cancelled' && Date.now() < until) await page.waitForTimeout(200);
  assert.equal(record().state, 'cancelled');
  assert.equal(record().error.code, 'ABORTED');
  assert.ok(existsSync(path.join(runs, id!, 'job.log')));
  assert.match(readFileSync(path.join(runs, id!, 'job.log'), 'utf8'), /tokenized \d+ files[\s\S]*cancel requested[\s\S]*cancelled: ABORTED/);
  assert.doesNotMatch(await page.locator('.part.statusbar').innerText(), /Train demo-sized model/, 'the status bar item goes when no job runs');
});
