// The first ten minutes of a new user, in the real VS Code (code-server + the packaged VSIX, driven through
// Chromium): a download on a machine without network fails with the reason and cancel says so; the Playground
// chats with the demo model in its own (Phi-3) chat format, runs a model without a chat template as raw completion
// and says why a text stopped; menus offer what applies;
// Inspect's memory estimate refuses bad numbers visibly. Every wait is on state, with generous limits for a busy
// 2-core machine; the only limit that is part of the check is the 30 s an offline download may take to fail.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { prepareE2e, repoRoot } from '../../scripts/e2e/setup.mjs';
import { startSession } from '../../scripts/e2e/session.mjs';
import * as wb from '../../scripts/e2e/workbench.mjs';
import { openSamplingSettings } from '../../scripts/e2e/playground.mjs';
import { e2eModel, type E2eModel } from './e2eModel.js';
import { writeTestModel } from '../../src/engine/synth/index.js';
import { startModelServer } from '../integration/runtime/modelServer.js';

const SHOTS = path.join(repoRoot, 'test-results', 'e2e-first-touch');
let session: Awaited<ReturnType<typeof startSession>>;
let model: E2eModel;
/** A model without a chat template (the demo model has one), in the models folder. */
let plainDir: string;
const PLAIN = 'e2e-plain-llama';

before(async () => {
  const { tools, vsix } = await prepareE2e();
  model = await e2eModel();
  plainDir = mkdtempSync(path.join(os.tmpdir(), 'ml-e2e-plain-'));
  await writeTestModel(path.join(plainDir, `${PLAIN}.gguf`), { arch: 'llama', seed: 7 });
  session = await startSession({
    tools, vsix, settings: { ...model.settings, 'modelLab.modelsDirectory': plainDir, 'modelLab.threads': 1 },
    files: { 'src/sample.ts': 'export function add(a: number, b: number): number {\n  return a + b;\n}\n' },
  });
  await session.waitForActivation('model-lab.model-lab', 120_000);
});

after(async () => {
  if (session) await wb.screenshot(session.page, SHOTS, 'last').catch(() => {});
  await session?.close();
  model?.dispose();
  if (plainDir) rmSync(plainDir, { recursive: true, force: true });
});

/** Polls `read` until `ok` holds; throws with the last value after `ms`. */
async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  let v = await read();
  while (!ok(v)) {
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(v)} after ${ms / 1000}s`);
    await session.page.waitForTimeout(250);
    v = await read();
  }
  return v;
}

/** The "Model Lab Runtime" output channel as VS Code logs it to disk. */
function runtimeLog(): string {
  const out: string[] = [];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.includes('Model Lab Runtime')) out.push(readFileSync(p, 'utf8'));
    }
  };
  walk(path.join(session.profile.userDataDir, 'logs'));
  return out.join('\n');
}

/** Starts Download Model… on an address typed by the user. */
async function downloadByAddress(uri: string) {
  const { page } = session;
  await wb.clearNotifications(page);
  await wb.runCommand(page, 'Model Lab: Download Model…');
  await wb.pickQuickItem(page, 'Enter a Hugging Face URI or URL');
  await until('the address box', () => wb.quickInputState(page), (q) => !!q && q.placeholder.startsWith('hf:'), 15_000);
  await page.keyboard.type(uri);
  await page.keyboard.press('Enter');
}

test('Download Model… on an hf: address without network fails with the reason in under 30 s, and logs the attempt', async () => {
  const t = Date.now();
  await downloadByAddress('hf:nobody/nothing/model.gguf');
  const toasts = await until('an error toast', () => wb.notifications(session.page), (n) => n.some((x) => x.severity === 'error'), 30_000);
  console.log(`# offline download failed after ${((Date.now() - t) / 1000).toFixed(1)}s`);
  await wb.screenshot(session.page, SHOTS, 'download-offline');
  const err = toasts.find((x) => x.severity === 'error')!;
  assert.match(err.message, /Download failed: Cannot reach huggingface\.co: the name does not resolve/);
  // the attempt and its outcome (the host checks the host name before it starts the runtime process)
  const log = await until('the outcome in the runtime log', async () => runtimeLog(), (l) => /Download failed: HOST_NOT_FOUND: Cannot reach huggingface\.co/.test(l), 15_000);
  assert.match(log, /download hf:nobody\/nothing\/model\.gguf into /);
});

test('a download shows bytes and speed once bytes arrive, and cancelling it says "cancelled"', async () => {
  // a slow local server (bytes in small steps) plays a far host; the file is big enough to cancel mid-way
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ml-e2e-dl-'));
  const file = path.join(dir, 'slow.gguf');
  writeFileSync(file, Buffer.alloc(64 * 2 ** 20, 1));
  const server = await startModelServer({ '/files/slow.gguf': file });
  server.throttle = 16 * 1024;
  try {
    const { page } = session;
    await downloadByAddress(`${server.url}/files/slow.gguf`);
    const toast = page.locator('.notifications-toasts .notification-list-item').filter({ hasText: 'downloading' }).first();
    await toast.waitFor({ timeout: 30_000 });
    const text = await until('bytes and speed in the progress', async () => (await toast.textContent()) ?? '', (t) => /of 64(\.0)? MB · [\d.]+ K?M?B\/s/.test(t), 60_000);
    console.log(`# progress: ${text}`);
    await wb.screenshot(page, SHOTS, 'download-progress');
    await toast.hover();
    await toast.locator('.monaco-button', { hasText: 'Cancel' }).first().click();
    const toasts = await until('the cancel message', () => wb.notifications(page), (n) => n.some((x) => /cancelled/.test(x.message)), 20_000);
    await wb.screenshot(page, SHOTS, 'download-cancelled');
    assert.ok(toasts.some((x) => /^Model Lab: download of http:\/\/127\.0\.0\.1:\d+\/files\/slow\.gguf cancelled; run Download Model… again to resume it\.$/.test(x.message)), JSON.stringify(toasts));
    assert.ok(!toasts.some((x) => x.severity === 'error'), JSON.stringify(toasts));
    await until('the cancel in the runtime log', async () => runtimeLog(), (l) => /slow\.gguf: cancelled after/.test(l), 15_000);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

async function openPlayground(name = model.name) {
  const { page } = session;
  await wb.closeAllEditors(page);
  await wb.runCommand(page, 'Model Lab: Open Playground');
  const frame = await wb.webviewFrame(page, '#prompt', { timeoutMs: 60_000 });
  await frame.locator('body[data-ready="true"]').waitFor({ timeout: 30_000 });
  const option = (await frame.locator('#model-select option').allTextContents()).find((o: string) => o.includes(name));
  assert.ok(option, `the Playground does not offer ${name}`);
  await frame.locator('#model-select').selectOption({ label: option });
  return frame;
}

test('the Playground chats with the demo model in its own chat format: the reply ends its turn in the transcript', async (t) => {
  if (!model.builtIn) return t.skip('the demo model is not trained in this checkout');
  const frame = await openPlayground();
  await frame.locator('#mode-note[data-template="true"]').waitFor({ state: 'attached', timeout: 30_000 });
  assert.equal(await frame.locator('#mode').inputValue(), 'chat', 'a model with a chat template starts in chat mode');
  assert.equal(await frame.locator('#mode-note').isVisible(), false, 'nothing to explain: the model was trained on its chat format');
  await openSamplingSettings(frame);
  assert.equal(await frame.locator('#system-prompt-field').isVisible(), true);
  await frame.locator('#max-tokens').fill('48');
  await frame.locator('#seed').fill('1');
  await frame.locator('#prompt').fill('Returns a string representation of an object.');
  await frame.evaluate('delete document.body.dataset.stopReason');
  await frame.locator('#generate').click();
  await frame.locator('body[data-stop-reason][data-running="false"]').waitFor({ timeout: 120_000 });
  await wb.screenshot(session.page, SHOTS, 'playground-demo-chat');
  assert.equal(await frame.locator('#transcript .turn[data-role="user"]').count(), 1);
  assert.equal(await frame.locator('#transcript .turn[data-role="assistant"]').count(), 1);
  const reply = ((await frame.locator('#transcript .turn[data-role="assistant"]').textContent()) ?? '').trim();
  console.log(`# demo chat reply: ${JSON.stringify(reply)}`);
  assert.equal(await frame.locator('body').getAttribute('data-stop-reason'), 'eos', 'the reply ends its turn (<|end|>) before 48 tokens');
  assert.ok(reply.length > 0 && !reply.includes('<|'), `a reply without chat markers: ${JSON.stringify(reply)}`);
  assert.equal(await frame.locator('#output').isVisible(), false, 'the reply is not repeated under Output');
  await frame.locator('#clear').click();
});

test('the Playground runs a model without a chat template as raw completion and says so; chat mode explains itself', async () => {
  const frame = await openPlayground(PLAIN);
  // the template is known once the header has been read
  await frame.locator('#mode-note[data-template="false"]').waitFor({ state: 'visible', timeout: 30_000 });
  assert.equal(await frame.locator('#mode').inputValue(), 'complete');
  assert.match((await frame.locator('#mode-note').textContent()) ?? '', /no chat template, so it runs as raw completion/);
  assert.equal(await frame.locator('#system-prompt-field').isVisible(), false, 'no system prompt in raw completion');
  await wb.screenshot(session.page, SHOTS, 'playground-raw-default');
  await frame.locator('#mode').selectOption('chat');
  assert.match((await frame.locator('#mode-note').textContent()) ?? '', /chat mode sends your turns in a generic chat format it was not trained on/);
  await openSamplingSettings(frame);
  assert.equal(await frame.locator('#system-prompt-field').isVisible(), true);
  // a chat reply streams into the transcript and is shown once (not again under Output)
  await frame.locator('#max-tokens').fill('8');
  await frame.locator('#seed').fill('1');
  await frame.locator('#prompt').fill('hello');
  await frame.locator('#generate').click();
  await frame.locator('body[data-stop-reason]').waitFor({ timeout: 120_000 });
  assert.equal(await frame.locator('#transcript .turn[data-role="user"]').count(), 1);
  assert.equal(await frame.locator('#transcript .turn[data-role="assistant"]').count(), 1);
  assert.equal(await frame.locator('#output').isVisible(), false, 'the reply is not repeated under Output');
  await frame.locator('#clear').click();
  await frame.locator('#mode').selectOption('complete');
});

test('a raw completion says why it stopped, even with 0 tokens', async () => {
  const frame = await openPlayground();
  await frame.locator('#mode').selectOption('complete');
  await openSamplingSettings(frame);
  await frame.locator('#max-tokens').fill('16');
  await frame.locator('#seed').fill('1');
  await frame.locator('#prompt').fill('interface Point {\n  x: number;\n');
  await frame.evaluate('delete document.body.dataset.stopReason');
  await frame.locator('#generate').click();
  await frame.locator('body[data-stop-reason][data-running="false"]').waitFor({ timeout: 120_000 });
  const reason = await frame.locator('body').getAttribute('data-stop-reason');
  const tokens = Number(await frame.locator('#token-count').textContent());
  const said = ((await frame.locator('#stop-reason').textContent()) ?? '').trim();
  await wb.screenshot(session.page, SHOTS, 'playground-stop-reason');
  console.log(`# raw completion: ${tokens} tokens, ${said}`);
  assert.ok(['eos', 'maxTokens', 'stopString', 'contextFull'].includes(reason!), `stop reason ${reason}`);
  assert.match(said, /^Stopped: .+ after \d+ tokens?\.$/);
  assert.equal((await frame.locator('#status').textContent())?.trim(), said);
  if (tokens === 0) assert.equal(reason, 'eos', 'an empty output ended on the end-of-sequence token');
  if (reason === 'maxTokens') assert.equal(tokens, 16);
  if (tokens > 0) assert.notEqual(await frame.locator('#ttft').textContent(), '–', 'time to first token is shown');
});

/** The labels of the context menu that right-clicking `target` opens. */
async function contextMenu(target: any): Promise<string[]> {
  const { page } = session;
  await target.click({ button: 'right' });
  const menu = page.locator('.context-view .monaco-menu').first();
  await menu.waitFor({ timeout: 10_000 });
  const labels = await menu.locator('.action-item .action-label').allTextContents().then((all: string[]) => all.map((t) => t.trim()).filter(Boolean));
  return labels;
}

test("the model's context menu offers Open Playground and Load or Unload as applies; unbuilt features are not offered", async () => {
  const { page } = session;
  await wb.closeAllEditors(page);
  await wb.openViewContainer(page, 'Model Lab');
  const row = wb.viewPane(page, 'Models').locator('.monaco-list-row', { hasText: model.name }).first();
  await row.waitFor({ timeout: 30_000 });
  // the Playground tests above loaded the model
  let labels = await contextMenu(row);
  await wb.screenshot(page, SHOTS, 'model-menu-loaded');
  await page.keyboard.press('Escape');
  assert.ok(labels.includes('Open Playground') && labels.includes('Unload Model') && !labels.includes('Load Model'), JSON.stringify(labels));
  await wb.runCommand(page, 'Model Lab: Unload Model');
  await wb.pickQuickItem(page, model.name).catch(() => {});
  await until('the model unloaded', () => row.textContent(), (t: string | null) => !/loaded/.test(t ?? ''), 30_000);
  labels = await contextMenu(row);
  await page.keyboard.press('Escape');
  assert.ok(labels.includes('Load Model') && !labels.includes('Unload Model'), JSON.stringify(labels));
  // features not built yet (commandPalette `when: false` in the manifest) are not offered
  const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  const hidden = new Set(manifest.contributes.menus.commandPalette.filter((e: { when?: string }) => e.when === 'false').map((e: { command: string }) => e.command));
  for (const unbuilt of manifest.contributes.commands.filter((c: { command: string }) => hidden.has(c.command)).map((c: { title: string }) => c.title)) {
    const listed = await wb.paletteMatches(page, `Model Lab: ${unbuilt}`);
    assert.ok(!listed.includes(`Model Lab: ${unbuilt}`), `the palette offers ${unbuilt}, which is not built yet`);
  }
});

test("the editor's context menu groups Model Lab's entries under a Model Lab submenu", async () => {
  const { page } = session;
  await wb.closeAllEditors(page);
  await wb.quickOpen(page, 'sample.ts');
  const editor = page.locator('.monaco-editor .view-lines').first();
  await editor.waitFor({ timeout: 30_000 });
  await editor.click();
  await page.keyboard.press('ControlOrMeta+A');
  const top = await contextMenu(editor);
  assert.ok(top.includes('Model Lab'), JSON.stringify(top));
  assert.ok(!top.some((l) => /Generate Alternatives|Compare Models|Open Playground/.test(l)), `Model Lab entries outside the submenu: ${JSON.stringify(top)}`);
  await page.locator('.context-view .monaco-menu .action-item', { hasText: 'Model Lab' }).first().hover();
  const sub = page.locator('.context-view .monaco-menu').nth(1);
  await sub.waitFor({ timeout: 10_000 });
  const inner = await sub.locator('.action-item .action-label').allTextContents().then((all: string[]) => all.map((t) => t.trim()).filter(Boolean));
  await wb.screenshot(page, SHOTS, 'editor-submenu');
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  assert.ok(inner.includes('Open Playground'), JSON.stringify(inner));
});

test("Inspect's memory estimate refuses bad numbers with a visible message and uses llama.cpp's GPU-layer count", async () => {
  const { page } = session;
  await wb.closeAllEditors(page);
  await wb.runCommand(page, 'Model Lab: Inspect Model');
  await wb.pickQuickItem(page, model.name);
  const frame = await wb.webviewFrame(page, '#model-card', { timeoutMs: 60_000 });
  await frame.locator('body[data-ready="true"]').waitFor({ timeout: 30_000 });
  await frame.locator('#mem-weights-cpu[data-bytes]').waitFor({ timeout: 30_000 });
  const max = Number(await frame.locator('#gpu-layers').getAttribute('max'));
  const blocks = Number(((await frame.locator('#spec').textContent()) ?? '').match(/Layers(\d+)/)?.[1]);
  assert.equal(max, blocks + 1, 'GPU layers = blocks + the output layer');
  assert.match((await frame.locator('label[for="gpu-layers"]').textContent()) ?? '', new RegExp(`GPU layers \\(0–${max}\\)`));

  await frame.locator('#gpu-layers').fill('99');
  await frame.locator('#memory-error').waitFor({ state: 'visible', timeout: 10_000 });
  assert.equal((await frame.locator('#memory-error').textContent())?.trim(), `GPU layers must be a whole number from 0 to ${max}.`);
  assert.equal(await frame.locator('#mem-total-cpu').textContent(), '—', 'no figure stays for numbers it was not computed for');
  assert.equal(await frame.locator('#mem-total-cpu').getAttribute('data-bytes'), null);
  assert.equal(await frame.locator('#gpu-layers').getAttribute('aria-invalid'), 'true');
  await wb.screenshot(page, SHOTS, 'inspect-bad-layers');

  await frame.locator('#gpu-layers').fill(String(max));
  await frame.locator('#context-size').fill('-5');
  await until('the context message', async () => ((await frame.locator('#memory-error').textContent()) ?? '').trim(), (t) => t.startsWith('Context must be a whole number from 1'), 10_000);

  await frame.locator('#context-size').fill('128');
  await frame.locator('body[data-estimated="128:' + max + '"]').waitFor({ timeout: 10_000 });
  assert.equal(await frame.locator('#memory-error').isVisible(), false);
  assert.ok(Number(await frame.locator('#mem-total-gpu').getAttribute('data-bytes')) > 0, 'every layer on the GPU puts bytes there');
});
