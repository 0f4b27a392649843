// code-server (a real VS Code served over HTTP) for `npm start`, the e2e tests and the screenshots.
// A profile is a pair of folders (extensions, user data) that keeps it apart from anyone's own VS Code.
import { mkdirSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ScriptError, withHeartbeat } from './log.mjs';
import { runLogged, startService } from './processes.mjs';

/** User settings that keep the workbench quiet and predictable (no tours, no update checks, no AI side bar). */
export const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'chat.disableAIFeatures': true,
  'security.workspace.trust.enabled': false,
  'window.dialogStyle': 'custom',
  // The demo workspace lives inside this git checkout (.tools/demo-workspace): don't offer to open the parent repo.
  'git.openRepositoryInParentFolders': 'never',
};

export function profilePaths(dir) {
  return { dir, extensionsDir: path.join(dir, 'extensions'), userDataDir: path.join(dir, 'user-data') };
}

/**
 * Creates the profile folders and merges `settings` into its settings. code-server is a remote window: settings
 * of `machine` scope are read from the server's Machine/settings.json and ignored in User/settings.json, so
 * `settings` go to both.
 */
export function prepareProfile(dir, settings = {}) {
  const p = profilePaths(dir);
  mkdirSync(p.extensionsDir, { recursive: true });
  mergeSettings(path.join(p.userDataDir, 'User', 'settings.json'), { ...QUIET_SETTINGS, ...settings });
  mergeSettings(path.join(p.userDataDir, 'Machine', 'settings.json'), settings);
  return p;
}

function mergeSettings(file, settings) {
  mkdirSync(path.dirname(file), { recursive: true });
  let current = {};
  if (existsSync(file)) {
    try { current = JSON.parse(readFileSync(file, 'utf8')); } catch { /* a hand-edited file with comments: replace */ }
  }
  writeFileSync(file, JSON.stringify({ ...current, ...settings }, null, 2) + '\n');
}

function baseArgs(tools, profile) {
  return [tools.codeServer, '--config', configFile(profile), '--extensions-dir', profile.extensionsDir,
    '--user-data-dir', profile.userDataDir];
}

/** A config file of our own, so code-server never writes ~/.config/code-server. */
function configFile(profile) {
  const file = path.join(profile.dir, 'code-server.yaml');
  if (!existsSync(file)) writeFileSync(file, 'auth: none\ncert: false\n');
  return file;
}

function serverEnv(tools) {
  const env = { ...process.env, PATH: `${path.dirname(tools.node)}${path.delimiter}${process.env.PATH}` };
  // Our own test-lane variables must not leak into the extension host.
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  return env;
}

/** Installs a VSIX into the profile the way a user would (a copied folder is not discovered). */
export async function installVsix(tools, profile, vsix) {
  await withHeartbeat(`Installing ${path.basename(vsix)} into ${profile.dir}`, () =>
    runLogged(tools.node, [...baseArgs(tools, profile), '--force', '--install-extension', vsix],
      { env: serverEnv(tools), logFile: path.join(profile.dir, 'install-extension.log') }));
}

export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts code-server on 127.0.0.1:port with no auth, opening `folder`. Resolves once /healthz answers.
 * Returns { url, port, service, logFile, stop() }.
 */
export async function startCodeServer(tools, profile, { port, folder, disableWorkspaceTrust = true, timeoutMs = 60_000 }) {
  const logFile = path.join(profile.dir, 'code-server.log');
  const args = [...baseArgs(tools, profile), '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-getting-started-override', '--ignore-last-opened'];
  if (disableWorkspaceTrust) args.push('--disable-workspace-trust');
  if (folder) args.push(folder);
  const service = startService('code-server', tools.node, args, { env: serverEnv(tools), logFile });
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!service.running) {
      const tail = readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n');
      throw new ScriptError(`code-server exited during start-up; log ${logFile}:\n${tail}`);
    }
    try {
      const r = await globalThis.fetch(new URL('healthz', url), { signal: globalThis.AbortSignal.timeout(2000) });
      if (r.ok) break;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (Date.now() >= deadline) {
    await service.stop();
    throw new ScriptError(`code-server did not answer on ${url} within ${timeoutMs / 1000}s; log ${logFile}`);
  }
  const folderQuery = folder ? `?folder=${encodeURIComponent(folder)}` : '';
  return { url, workbenchUrl: url + folderQuery, port, service, logFile, stop: () => service.stop() };
}
