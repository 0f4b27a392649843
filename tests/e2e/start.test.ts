// `npm start` as a user runs it: it serves VS Code with Model Lab on 127.0.0.1, prints the URL, the Models view
// lists the built-in demo model, and Ctrl-C (SIGINT) stops everything it started.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../scripts/e2e/setup.mjs';
import { freePort } from '../../scripts/lib/codeServer.mjs';
import { launchBrowser, newWorkbenchPage } from '../../scripts/e2e/browser.mjs';
import * as wb from '../../scripts/e2e/workbench.mjs';

let child: ChildProcess | undefined;
let browser: any;

after(async () => {
  await browser?.close().catch(() => {});
  if (child && child.exitCode === null) child.kill('SIGINT');
});

/** Processes (other than this test) whose command line names the `npm start` profile. */
function processesUsing(dir: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(dir) && Number(pid) !== process.pid) out.push(`${pid} ${cmd.slice(0, 120)}`);
    } catch { /* ended meanwhile */ }
  }
  return out;
}

test('npm start serves Model Lab on localhost and Ctrl-C stops all of it', async (t) => {
  const port = await freePort();
  const profileDir = path.join(repoRoot, '.tools', 'profile');
  // A developer's own `npm start` holds the same profile; this test must not stop or disturb it.
  if (processesUsing(profileDir).length) return t.skip('an npm start is running in this checkout');
  child = spawn(process.execPath, ['scripts/start.mjs', '--port', String(port), '--no-open'], {
    cwd: repoRoot, env: { ...process.env, NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => { output += d; });
  child.stderr!.on('data', (d) => { output += d; });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL after 10 minutes:\n${output}`)), 600_000);
    const look = () => {
      const m = /Model Lab in VS Code:\s+(http:\/\/127\.0\.0\.1:(\d+)\/\S*)/.exec(output);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    child!.stdout!.on('data', look);
    child!.on('exit', (code) => { clearTimeout(timer); reject(new Error(`npm start exited (${code}):\n${output}`)); });
  });
  assert.ok(url.startsWith(`http://127.0.0.1:${port}/`), url);
  console.log(`# ${output.match(/Ready in [\d.]+s/)?.[0] ?? ''}`);

  browser = await launchBrowser();
  const page = await newWorkbenchPage(browser);
  await wb.openWorkbench(page, url);
  await wb.openViewContainer(page, 'Model Lab');
  const demo = existsSync(path.join(repoRoot, 'media', 'models', 'demo.gguf')) ? 'Demo' : 'tiny-llama';
  let items: string[] = [];
  for (let i = 0; i < 120 && !items.some((x) => x.includes(demo)); i++) {
    items = await wb.treeItems(page, 'Models');
    await page.waitForTimeout(500);
  }
  assert.ok(items.some((x) => x.includes(demo)), `Models view: ${JSON.stringify(items)}`);
  await browser.close();
  browser = undefined;

  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  const code = await exited;
  assert.equal(code, 130, `npm start exit code after Ctrl-C:\n${output.slice(-2000)}`);
  // Nothing it started survives: no code-server, extension host or runtime process on its profile, port closed.
  await new Promise((r) => setTimeout(r, 1000));
  assert.deepEqual(processesUsing(profileDir), []);
  await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(3000) }));
});
