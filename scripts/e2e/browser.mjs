// Headless Chromium (the Debian package) driven by playwright-core: `npx playwright install` cannot download
// browsers here, so we point it at /usr/bin/chromium with the flags that work on these machines.
import { chromium } from 'playwright-core';
import { CHROMIUM_PATH } from '../lib/tools.mjs';

const FLAGS = [
  '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
];

/** Launches Chromium; playwright gives it a fresh profile folder of its own and removes it on close. */
export async function launchBrowser({ executablePath = CHROMIUM_PATH, headless = true } = {}) {
  const args = [...FLAGS];
  // Chromium's sandbox refuses to start as root.
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  return chromium.launch({ executablePath, headless, args, timeout: 60_000 });
}

/** A page sized for readable screenshots of the workbench. */
export async function newWorkbenchPage(browser, { width = 1440, height = 900 } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
  return context.newPage();
}
