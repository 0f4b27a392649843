// One real-VS-Code session for tests and screenshots: a fresh private profile with the packaged VSIX installed,
// code-server on a free loopback port, and headless Chromium with the workbench open. `close()` stops all of
// it (and the process-exit hook does too, should a test crash).
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, installVsix, prepareProfile, startCodeServer } from '../lib/codeServer.mjs';
import { log } from '../lib/log.mjs';
import { launchBrowser, newWorkbenchPage } from './browser.mjs';
import { openWorkbench } from './workbench.mjs';

/**
 * @param {object} o
 * @param {{node: string, codeServer: string, chromium?: string}} o.tools   from ensureTools()
 * @param {string} o.vsix                     the packaged extension
 * @param {Record<string, string | Uint8Array>} [o.files]  workspace files to create (relative path → content)
 * @param {Record<string, unknown>} [o.settings] user settings
 * @param {boolean} [o.keep]                  keep the temp folders (for debugging)
 */
export async function startSession({ tools, vsix, files = {}, settings = {}, keep = !!process.env.MODEL_LAB_E2E_KEEP }) {
  const t = Date.now();
  const base = mkdtempSync(path.join(os.tmpdir(), 'ml-e2e-'));
  const workspace = path.join(base, 'workspace');
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(workspace, rel)), { recursive: true });
    writeFileSync(path.join(workspace, rel), content);
  }
  mkdirSync(workspace, { recursive: true });
  const profile = prepareProfile(path.join(base, 'profile'), settings);
  let server;
  let browser;
  const close = async () => {
    await browser?.close().catch(() => {});
    await server?.stop();
    if (!keep) rmSync(base, { recursive: true, force: true });
    else log(`kept e2e folders in ${base}`);
  };
  try {
    await installVsix(tools, profile, vsix);
    server = await startCodeServer(tools, profile, { port: await freePort(), folder: workspace });
    browser = await launchBrowser({ executablePath: tools.chromium });
    const page = await newWorkbenchPage(browser);
    const consoleErrors = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    await openWorkbench(page, server.workbenchUrl);
    log(`VS Code session ready in ${((Date.now() - t) / 1000).toFixed(1)}s at ${server.workbenchUrl}`);
    const waitForActivation = (id = 'model-lab.model-lab', timeoutMs = 90_000) => waitForExtension(page, profile, id, timeoutMs);
    return { page, browser, server, profile, workspace, base, consoleErrors, close, waitForActivation, extensionHostLog: () => extensionHostLog(profile) };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Text of every extension-host log of the profile (activation failures and extension errors land there). */
export function extensionHostLog(profile) {
  const dir = path.join(profile.userDataDir, 'logs');
  const out = [];
  const walk = (d) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/exthost/i.test(p) && e.name.endsWith('.log')) out.push(`== ${path.relative(dir, p)}\n${readFileSync(p, 'utf8')}`);
    }
  };
  walk(dir);
  return out.join('\n');
}

/** Waits until the extension host log says it activated extension `id`; returns the seconds it took. */
async function waitForExtension(page, profile, id, timeoutMs) {
  const t = Date.now();
  const re = new RegExp(`_doActivateExtension ${id.replace(/\./g, '\\.')}\\b`);
  while (!re.test(extensionHostLog(profile))) {
    if (Date.now() - t > timeoutMs) throw new Error(`${id} was not activated within ${timeoutMs / 1000}s`);
    await page.waitForTimeout(250);
  }
  return (Date.now() - t) / 1000;
}
