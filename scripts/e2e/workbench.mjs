// Helpers that drive the VS Code workbench (served by code-server) the way a person would: command palette,
// activity bar, views, notifications, and the webviews inside it.
//
// Webviews in the browser workbench are two nested iframes: an outer host page (…/webview/browser/pre/index.html)
// and an inner document with the extension's own HTML. page.frames() lists both; we find the inner one by an
// element only our panel has.
/* global document, window -- functions passed to evaluate() run in the browser */
import { mkdirSync } from 'node:fs';
import path from 'node:path';

const QUICK_INPUT = '.quick-input-widget';
const QUICK_INPUT_BOX = `${QUICK_INPUT} .quick-input-box input`;
const QUICK_INPUT_ROWS = `${QUICK_INPUT} .monaco-list-row`;

/** Opens the workbench and waits until it has rendered and the extension host has connected. */
export async function openWorkbench(page, url, { timeoutMs = 90_000 } = {}) {
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: timeoutMs });
  await page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
  await page.locator('.part.activitybar, .activitybar').first().waitFor({ timeout: timeoutMs });
  await page.locator('.part.statusbar').waitFor({ timeout: timeoutMs });
}

async function openPalette(page) {
  await closeQuickInput(page);
  await page.locator('.monaco-workbench').click({ position: { x: 700, y: 5 }, force: true }).catch(() => {});
  await page.keyboard.press('F1');
  await page.locator(QUICK_INPUT_BOX).waitFor({ state: 'visible', timeout: 15_000 });
}

export async function closeQuickInput(page) {
  if (await page.locator(QUICK_INPUT).isVisible().catch(() => false)) {
    await page.keyboard.press('Escape');
    await page.locator(QUICK_INPUT).waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => {});
  }
}

/**
 * Labels of the palette rows that match `query` (the palette filters as a person types).
 * @returns {Promise<string[]>}
 */
export async function paletteMatches(page, query) {
  await openPalette(page);
  await page.locator(QUICK_INPUT_BOX).fill(`>${query}`);
  // The list re-renders as it filters (and is empty until the extension host has registered the commands).
  const read = () => page.locator(QUICK_INPUT_ROWS).evaluateAll((rows) =>
    rows.map((r) => (r.querySelector('.label-name')?.textContent ?? r.getAttribute('aria-label') ?? '').trim()));
  let labels = [];
  for (let i = 0; i < 40; i++) {
    await page.waitForTimeout(250);
    const now = await read();
    if (now.length > 0 && JSON.stringify(now) === JSON.stringify(labels)) break;
    labels = now;
  }
  await closeQuickInput(page);
  return labels;
}

/** Runs a command by its palette title (e.g. "Model Lab: Open Playground"). Fails when it is not listed. */
export async function runCommand(page, title, { timeoutMs = 15_000 } = {}) {
  await openPalette(page);
  await page.locator(QUICK_INPUT_BOX).fill(`>${title}`);
  const row = page.locator(QUICK_INPUT_ROWS).filter({ has: page.locator('.label-name', { hasText: exact(title) }) }).first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  await row.click();
  // The palette closes — or turns into the command's own quick input (a pick, a file dialog), whose text is
  // no longer a ">command" query.
  await page.waitForFunction(() => {
    const w = document.querySelector('.quick-input-widget');
    const input = w?.querySelector('.quick-input-box input');
    return !w || w.style.display === 'none' || !w.offsetParent || !(input?.value ?? '').startsWith('>');
  }, undefined, { timeout: 5_000, polling: 100 }).catch(() => {});
}

function exact(text) {
  return new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
}

/**
 * Visible notification toasts.
 * @returns {Promise<Array<{ severity: 'error' | 'warning' | 'info', message: string }>>}
 */
export async function notifications(page) {
  return page.locator('.notifications-toasts .notification-list-item').evaluateAll((items) => items.map((el) => {
    const icon = el.querySelector('.notification-list-item-icon')?.className ?? '';
    const severity = /codicon-error/.test(icon) ? 'error' : /codicon-warning/.test(icon) ? 'warning' : 'info';
    return { severity, message: (el.querySelector('.notification-list-item-message')?.textContent ?? '').trim() };
  }));
}

/**
 * Every notification the window has had, including toasts that already hid (the notification centre).
 * @returns {Promise<Array<{ severity: 'error' | 'warning' | 'info', message: string }>>}
 */
export async function allNotifications(page) {
  await runCommand(page, 'Notifications: Show Notifications');
  const center = page.locator('.notifications-center');
  await center.waitFor({ state: 'visible', timeout: 5_000 }).catch(() => {});
  const list = await center.locator('.notification-list-item').evaluateAll((items) => items.map((el) => {
    const icon = el.querySelector('.notification-list-item-icon')?.className ?? '';
    const severity = /codicon-error/.test(icon) ? 'error' : /codicon-warning/.test(icon) ? 'warning' : 'info';
    return { severity, message: (el.querySelector('.notification-list-item-message')?.textContent ?? '').trim() };
  }));
  await runCommand(page, 'Notifications: Hide Notifications').catch(() => page.keyboard.press('Escape'));
  return list;
}

export async function clearNotifications(page) {
  await runCommand(page, 'Notifications: Clear All Notifications').catch(() => {});
}

/** Opens a view container from the activity bar by its title (e.g. "Model Lab"). */
export async function openViewContainer(page, title) {
  const item = page.locator(`.activitybar .action-item a[aria-label^="${title}"], .activitybar .action-item[aria-label^="${title}"]`).first();
  await item.waitFor({ timeout: 30_000 });
  const expanded = await item.getAttribute('aria-expanded').catch(() => null);
  if (expanded !== 'true') await item.click();
}

/**
 * The rows of a tree view (by its pane title, e.g. "Models"), as their visible labels.
 * @returns {Promise<string[]>}
 */
export async function treeItems(page, viewTitle) {
  const pane = viewPane(page, viewTitle);
  await pane.waitFor({ timeout: 30_000 });
  return pane.locator('.monaco-list-row').evaluateAll((rows) => rows.map((r) =>
    (r.querySelector('.label-name')?.textContent ?? r.getAttribute('aria-label') ?? '').trim()));
}

/**
 * Polls a tree view (expanding its pane if collapsed) until a row's label satisfies `pred`; returns that label.
 * @param {(label: string) => boolean} pred
 * @returns {Promise<string>}
 */
export async function waitForTreeItem(page, viewTitle, pred, timeoutMs) {
  const until = Date.now() + timeoutMs;
  let seen = [];
  while (Date.now() < until) {
    const pane = viewPane(page, viewTitle);
    await pane.waitFor({ timeout: 30_000 });
    const header = pane.locator('.pane-header');
    if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
    seen = await treeItems(page, viewTitle);
    const hit = seen.find(pred);
    if (hit) return hit;
    await page.waitForTimeout(500);
  }
  throw new Error(`${viewTitle} view never showed the row; rows: ${JSON.stringify(seen)}`);
}

export function viewPane(page, viewTitle) {
  return page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: viewTitle }) }).first();
}

/**
 * The inner frame of the webview that contains `selector` (an element id from webview/README.md),
 * polled until it appears. Returns a playwright Frame.
 */
export async function webviewFrame(page, selector, { timeoutMs = 30_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame() || frame.isDetached()) continue;
      try {
        if (await frame.locator(selector).count() > 0) return frame;
      } catch { /* frame navigated away while we looked */ }
    }
    if (Date.now() > deadline) {
      throw new Error(`no webview frame has ${selector} after ${timeoutMs / 1000}s (frames: ${page.frames().map((f) => f.url().slice(0, 80)).join(' | ')})`);
    }
    await page.waitForTimeout(250);
  }
}

/** Saves a screenshot of the page as <dir>/<name>.png and returns its path. */
export async function screenshot(page, dir, name) {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** Whether a quick input (quick pick, input box, simple file dialog) is open, and its title/placeholder. */
export async function quickInputState(page) {
  const widget = page.locator(QUICK_INPUT);
  if (!(await widget.isVisible().catch(() => false))) return undefined;
  return widget.evaluate((el) => {
    const title = el.querySelector('.quick-input-title')?.textContent?.trim() ?? '';
    const input = el.querySelector('.quick-input-box input');
    const rows = [...el.querySelectorAll('.monaco-list-row')].map((r) =>
      (r.querySelector('.label-name')?.textContent ?? r.getAttribute('aria-label') ?? '').trim());
    return { title, placeholder: input?.getAttribute('placeholder') ?? '', value: input?.value ?? '', rows };
  });
}

/** Picks the row of the open quick pick whose label contains `text`. */
export async function pickQuickItem(page, text, { timeoutMs = 15_000 } = {}) {
  const row = page.locator(QUICK_INPUT_ROWS).filter({ hasText: text }).first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  await row.click();
}

/**
 * Titles of the open editor tabs (webview panels are editors too).
 * @returns {Promise<string[]>}
 */
export async function editorTabs(page) {
  return page.locator('.tabs-container .tab').evaluateAll((tabs) =>
    tabs.map((t) => (t.querySelector('.label-name, .monaco-icon-label-container')?.textContent ?? t.getAttribute('aria-label') ?? '').trim()));
}

/** Titles of the views of the panel area (Output, Terminal…) when it is open; [] when closed. */
export async function activePanelTitle(page) {
  const panel = page.locator('.part.panel');
  if (!(await panel.isVisible().catch(() => false))) return '';
  return panel.locator('.composite.title .action-item.checked, .panel-switcher-container .action-item.checked').first()
    .textContent({ timeout: 2_000 }).then((t) => (t ?? '').trim()).catch(() => '');
}

/** The selected channel of the Output view, when the Output panel is open. */
export async function outputChannel(page) {
  const sel = page.locator('.part.panel select.monaco-select-box, .part.panel .monaco-select-box').first();
  if (!(await sel.isVisible().catch(() => false))) return '';
  return sel.evaluate((el) => (el.tagName === 'SELECT' ? el.selectedOptions[0]?.textContent ?? '' : el.textContent ?? '').trim());
}

export async function closeAllEditors(page) {
  await runCommand(page, 'View: Close All Editors').catch(() => {});
}

/**
 * Open modal dialogs (VS Code shows a failing palette command's error in one).
 * @returns {Promise<Array<{ severity: 'error' | 'warning' | 'info', message: string }>>}
 */
export async function dialogs(page) {
  return page.locator('.monaco-dialog-box').evaluateAll((boxes) => boxes.map((el) => {
    const icon = el.querySelector('.dialog-icon')?.className ?? '';
    const severity = /codicon-error/.test(icon) ? 'error' : /codicon-warning/.test(icon) ? 'warning' : 'info';
    const text = [el.querySelector('.dialog-message-text'), el.querySelector('.dialog-message-detail')]
      .map((n) => (n?.textContent ?? '').trim()).filter(Boolean).join(': ');
    return { severity, message: text };
  }));
}

export async function dismissDialogs(page) {
  for (let i = 0; i < 5 && (await page.locator('.monaco-dialog-box').count()) > 0; i++) {
    await page.keyboard.press('Escape');
    await page.waitForTimeout(200);
  }
}

/**
 * Adds <script src=url> to the document of `target` (a page or a webview frame) the way an injected payload
 * would, and reports whether it ran (it sets window.__modelLabInjected) and which CSP violation, if any, the
 * document reported.
 * @returns {Promise<{ loaded: boolean, violation: string | null }>}
 */
export async function injectRemoteScript(target, url) {
  return target.evaluate((src) => new Promise((resolve) => {
    let violation = null;
    document.addEventListener('securitypolicyviolation', (e) => { violation = `${e.violatedDirective} ${e.blockedURI}`; });
    const done = () => setTimeout(() => resolve({ loaded: !!window.__modelLabInjected, violation }), 300);
    const s = document.createElement('script');
    s.src = src;
    s.onload = done;
    s.onerror = done;
    document.head.append(s);
  }), url);
}

/** Opens a workspace file by name through Quick Open (the palette without its ">" prefix), as a person would. */
export async function quickOpen(page, fileName, { timeoutMs = 15_000 } = {}) {
  await openPalette(page);
  await page.locator(QUICK_INPUT_BOX).fill(fileName);
  const row = page.locator(QUICK_INPUT_ROWS).filter({ hasText: fileName }).first();
  await row.waitFor({ state: 'visible', timeout: timeoutMs });
  await row.click();
}
